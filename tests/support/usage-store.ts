import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAiConfig } from './gateway.js';

/** A scratch folder for usage files, removed by `remove()`. */
export async function scratchDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-store-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** One upstream with the named accounts (keys derived from the names), storing usage at
 * `path`; `overrides` replace top-level keys. Snapshots are off unless asked for. */
export function storeConfig(
  simUrl: string,
  path: string,
  accounts: string[] = ['team-a'],
  overrides: Record<string, unknown> = {},
) {
  const base = openAiConfig(simUrl, {
    storage: { path, snapshot_interval_minutes: 0 },
    ...overrides,
  });
  base.upstreams[0].accounts = accounts.map((name) => ({ name, api_key: `sk-sim-${name}-0001` }));
  return base;
}

export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.json() };
}

/** A non-streaming Responses request that the simulator answers with its default usage. */
export async function respond(
  gatewayUrl: string,
  model = 'gpt-5.5',
  headers: Record<string, string> = {},
): Promise<void> {
  const res = await fetch(`${gatewayUrl}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, input: 'hi' }),
  });
  await res.arrayBuffer();
}

export async function readJsonFile(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value));
}

export async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** The key names and JavaScript types of an object, in order: what a shape test compares. */
export function shape(value: unknown): [string, string][] {
  return Object.entries(value as Record<string, unknown>).map(([k, v]) => [
    k,
    v === null ? 'null' : typeof v,
  ]);
}
