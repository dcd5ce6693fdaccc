import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { readJsonFile, respond, scratchDir } from './support/usage-store.js';

/**
 * The `tollgate` process as an operator runs it: a signal must not lose the usage counted since
 * the last write. Writes are spaced an hour apart here, so only the shutdown flush can save it.
 */

let sim: Simulator;
let scratch: Awaited<ReturnType<typeof scratchDir>>;

beforeAll(async () => {
  sim = await startSimulator();
  scratch = await scratchDir();
});
afterAll(async () => {
  await sim.close();
  await scratch.remove();
});

describe.each(['SIGTERM', 'SIGINT'] as const)('on %s', (signal) => {
  it('writes the usage file before exiting', async () => {
    const storePath = join(scratch.dir, `usage-${signal}.json`);
    const configPath = join(scratch.dir, `tollgate-${signal}.yaml`);
    await writeFile(
      configPath,
      [
        'listen: { host: 127.0.0.1, port: 0 }',
        'upstreams:',
        `  - { name: openai, protocol: openai, base_url: "${sim.url}",`,
        '      accounts: [{ name: team-a, api_key: sk-sim-team-a-0001 }] }',
        `storage: { path: ${JSON.stringify(storePath)}, write_interval_seconds: 3600 }`,
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['bin/tollgate.js', '--config', configPath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    const url = await listeningUrl(child.stdout!);
    child.stdout!.resume();

    await respond(url);
    await respond(url);
    child.kill(signal);
    const [code] = await exited;

    expect(code).toBe(0);
    const file = await readJsonFile(storePath);
    expect(file.accounts).toMatchObject({ 'team-a': { request_count: 2, host_in: 3000 } });
  });
});

/** The URL from the gateway's `tollgate listening` log line. */
async function listeningUrl(stdout: NodeJS.ReadableStream): Promise<string> {
  for await (const line of createInterface({ input: stdout })) {
    const entry = JSON.parse(line) as { msg: string; url?: string };
    if (entry.msg === 'tollgate listening') return entry.url!;
  }
  throw new Error('the gateway exited before listening');
}
