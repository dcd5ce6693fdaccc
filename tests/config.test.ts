import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-config-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const FULL = `
listen: { host: 127.0.0.1, port: 8080 }
clients:
  - { name: ci-bot, key: "\${CI_BOT_KEY}" }
upstreams:
  - name: openai
    protocol: openai
    base_url: https://api.openai.com/v1
    models: ["gpt-*"]
    accounts:
      - { name: team-a, api_key: "\${OPENAI_KEY_A}" }
      - { name: team-b, api_key: "\${OPENAI_KEY_B}", headers: { OpenAI-Organization: org-b } }
metrics: { path: /metrics, model_labels: ["gpt-5.5", "gpt-5.4-mini"] }
`;

const ENV = { CI_BOT_KEY: 'ck-ci-bot-123456', OPENAI_KEY_A: 'sk-a', OPENAI_KEY_B: 'sk-b' };

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration file', () => {
  it('loads the documented example with ${VAR} taken from the environment', () => {
    const config = loadConfig(file('full.yaml', FULL), ENV);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080, allow_anonymous: false });
    expect(config.clients).toEqual([{ name: 'ci-bot', key: 'ck-ci-bot-123456' }]);
    expect(config.upstreams[0].accounts[1]).toEqual({
      name: 'team-b',
      api_key: 'sk-b',
      headers: { 'OpenAI-Organization': 'org-b' },
    });
    expect(config.metrics.model_labels).toEqual(['gpt-5.5', 'gpt-5.4-mini']);
    expect(config.retry.max_attempts).toBe(3);
    expect(config.limits.max_body_bytes).toBe(32 * 1024 * 1024);
  });

  it('names an unset variable', () => {
    const env = { ...ENV, OPENAI_KEY_B: undefined };
    expect(messageOf(() => loadConfig(file('unset.yaml', FULL), env))).toBe(
      'upstreams[0].accounts[1].api_key: environment variable OPENAI_KEY_B is not set',
    );
  });

  it('names a missing field and what was expected', () => {
    const text = FULL.replace(', api_key: "${OPENAI_KEY_B}"', '');
    expect(messageOf(() => loadConfig(file('missing.yaml', text), ENV))).toBe(
      'upstreams[0].accounts[1].api_key: required',
    );
    expect(messageOf(() => parseConfig({ listen: { port: 'eighty' } }))).toBe(
      'listen.port: expected number',
    );
    expect(messageOf(() => parseConfig({ metrics: { path: '/m', colour: 1 } }))).toBe(
      'metrics: unknown key(s) colour',
    );
  });

  it('refuses duplicate account names across upstreams', () => {
    const account = { name: 'same', api_key: 'k' };
    const up = (name: string) => ({
      name,
      protocol: 'openai',
      base_url: 'http://x/v1',
      accounts: [account],
    });
    expect(messageOf(() => parseConfig({ upstreams: [up('a'), up('b')] }))).toBe(
      'upstreams[1].accounts[0].name: duplicate account name "same"',
    );
  });

  it('refuses a non-loopback listener without client keys unless allowed', () => {
    expect(messageOf(() => parseConfig({ listen: { host: '0.0.0.0' } }))).toMatch(
      /^listen.host: 0.0.0.0 is not a loopback address/,
    );
    expect(parseConfig({ listen: { host: '0.0.0.0', allow_anonymous: true } }).listen.host).toBe(
      '0.0.0.0',
    );
  });

  it('TOLLGATE_HOST and TOLLGATE_PORT override listen', () => {
    const config = loadConfig(file('full2.yaml', FULL), {
      ...ENV,
      TOLLGATE_PORT: '9999',
      TOLLGATE_HOST: '127.0.0.2',
    });
    expect(config.listen).toMatchObject({ host: '127.0.0.2', port: 9999 });
  });

  it('without a file, creates one upstream per provider key in the environment', () => {
    const config = loadConfig(undefined, { OPENAI_API_KEY: 'sk-env' });
    expect(config.listen).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(config.upstreams).toEqual([
      {
        name: 'openai',
        protocol: 'openai',
        base_url: 'https://api.openai.com/v1',
        accounts: [{ name: 'openai', api_key: 'sk-env', headers: {} }],
      },
    ]);
    expect(loadConfig(undefined, {}).upstreams).toEqual([]);
  });
});

describe('start-up with a bad file', () => {
  it('prints one clear line, no stack trace, and exits with code 2', async () => {
    const path = file('bad.yaml', FULL.replace(', api_key: "${OPENAI_KEY_B}"', ''));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', path], {
      env: { ...process.env, ...ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toBe(
      'tollgate: invalid configuration: upstreams[0].accounts[1].api_key: required\n',
    );
  });
});
