import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { defaultsFromEnvironment } from './environment-defaults.js';

/** A configuration problem. Its message names the field and what was expected; start-up prints
 * it alone (no stack trace) and exits with code 2. */
export class ConfigError extends Error {
  readonly code = 'TOLLGATE_CONFIG';
}

type Env = Record<string, string | undefined>;

/** Loads the file when one is given, else builds the configuration from provider keys in the
 * environment; then applies TOLLGATE_HOST / TOLLGATE_PORT and validates the result. */
export function loadConfig(path: string | undefined, env: Env = process.env): Config {
  const raw = path ? interpolate(readYaml(path), env, []) : defaultsFromEnvironment(env);
  return parseConfig(withListenOverrides(raw, env));
}

/** Validates an already-parsed configuration object (tests build them in code). */
export function parseConfig(raw: unknown): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues));

  const config = result.data;
  refuseOpenAnonymousListener(config);
  return config;
}

function readYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `${path}: cannot read the configuration file (${(err as Error).message})`,
    );
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
}

/** Replaces `${VAR}` in every string of the parsed tree. Interpolating after parsing means a
 * value with YAML-special characters (a key ending in `:` for instance) cannot break the file. */
function interpolate(node: unknown, env: Env, path: (string | number)[]): unknown {
  if (typeof node === 'string') {
    return node.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const value = env[name];
      if (value === undefined) {
        throw new ConfigError(`${formatPath(path)}: environment variable ${name} is not set`);
      }
      return value;
    });
  }
  if (Array.isArray(node)) return node.map((item, i) => interpolate(item, env, [...path, i]));
  if (node && typeof node === 'object') {
    const entries = Object.entries(node).map(([k, v]) => [k, interpolate(v, env, [...path, k])]);
    return Object.fromEntries(entries);
  }
  return node;
}

function withListenOverrides(raw: unknown, env: Env): unknown {
  const config = (raw && typeof raw === 'object' ? { ...raw } : {}) as Record<string, unknown>;
  const listen = { ...((config.listen as object | undefined) ?? {}) } as Record<string, unknown>;
  if (env.TOLLGATE_HOST) listen.host = env.TOLLGATE_HOST;
  if (env.TOLLGATE_PORT) {
    const port = Number(env.TOLLGATE_PORT);
    if (!Number.isInteger(port)) throw new ConfigError('TOLLGATE_PORT: expected an integer');
    listen.port = port;
  }
  config.listen = listen;
  return config;
}

/** Without client keys anyone who reaches the port spends the accounts' money: only loopback
 * may listen that way unless the operator says so explicitly. */
function refuseOpenAnonymousListener(config: Config): void {
  const { host, allow_anonymous } = config.listen;
  if (config.clients?.length || allow_anonymous || isLoopback(host)) return;
  throw new ConfigError(
    `listen.host: ${host} is not a loopback address and no clients are configured; ` +
      'add clients with keys, or set listen.allow_anonymous: true',
  );
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function formatIssues(issues: z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${formatPath(issue.path)}: ${describe(issue)}`).join('\n');
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    return issue.message.endsWith('received undefined') ? 'required' : `expected ${issue.expected}`;
  }
  if (issue.code === 'unrecognized_keys') return `unknown key(s) ${issue.keys.join(', ')}`;
  return issue.message;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`))
    .join('');
}
