import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { importHistoryCommand } from '../src/cli/import-history.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import {
  getJson,
  readJsonFile,
  respond,
  scratchDir,
  storeConfig,
  writeJsonFile,
} from './support/usage-store.js';

/**
 * `tollgate import-history FILE`: a codex-proxy usage-history.json carried over into the store,
 * run as an operator runs it, then read back through the admin API.
 */

const run = promisify(execFile);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
/** Midnight UTC three days ago: recent enough that no imported snapshot is thinned. */
const D = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;

let sim: Simulator;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
let storePath: string;
let configPath: string;
let tg: TestGateway | undefined;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  scratch = await scratchDir();
  storePath = join(scratch.dir, 'usage.json');
  configPath = join(scratch.dir, 'tollgate.yaml');
  await writeFile(
    configPath,
    [
      'upstreams:',
      '  - name: openai',
      '    protocol: openai',
      `    base_url: ${sim.url}`,
      '    accounts: [{ name: team-a, api_key: sk-sim-team-a-0001 }]',
      `storage: { path: ${JSON.stringify(storePath)}, snapshot_interval_minutes: 0 }`,
      '',
    ].join('\n'),
  );
});
afterEach(async () => {
  await tg?.close();
  tg = undefined;
  await scratch.remove();
});

/** What codex-proxy writes: cumulative totals under its own names, an optional baseline. */
const CODEX_HISTORY = {
  version: 1,
  snapshots: [
    {
      timestamp: new Date(D + 10 * MIN).toISOString(),
      totals: { input_tokens: 1000, output_tokens: 100, request_count: 10, active_accounts: 2 },
    },
    {
      timestamp: new Date(D + 70 * MIN).toISOString(),
      totals: {
        input_tokens: 5000,
        output_tokens: 700,
        cached_tokens: 2000,
        image_input_tokens: 30,
        image_output_tokens: 900,
        image_request_count: 2,
        image_request_failed_count: 1,
        request_count: 42,
        active_accounts: 2,
      },
    },
  ],
  baseline: { input_tokens: 800, output_tokens: 90, request_count: 8 },
};

async function importHistory(file: string) {
  const args = ['bin/tollgate.js', 'import-history', file, '--config', configPath];
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: process.cwd() });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The same command run in this process (faster than a new Node process for each import). */
async function importHere(file: string) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((t) => !!out.push(String(t)));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((t) => !!err.push(String(t)));
  try {
    const code = await importHistoryCommand([file, '--config', configPath]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

async function summary(): Promise<Record<string, number>> {
  return (await getJson(`${tg!.url}/admin/usage-stats/summary`)).body as Record<string, number>;
}

describe('tollgate import-history', () => {
  it('carries totals and history over, so the admin API shows them', async () => {
    const file = join(scratch.dir, 'usage-history.json');
    await writeJsonFile(file, CODEX_HISTORY);
    const result = await importHistory(file);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/imported 2 snapshots/);

    tg = await startGateway(storeConfig(sim.url, storePath));
    expect(await summary()).toEqual({
      total_input_tokens: 5000,
      total_output_tokens: 700,
      total_cached_tokens: 2000,
      total_image_input_tokens: 30,
      total_image_output_tokens: 900,
      total_image_request_count: 2,
      total_image_request_failed_count: 1,
      total_estimated_cost_usd: 0,
      total_request_count: 42,
      total_accounts: 1,
      active_accounts: 1,
    });
    const { body } = await getJson(`${tg.url}/admin/usage-stats/history?granularity=raw&hours=120`);
    expect((body as { data_points: unknown[] }).data_points).toEqual([
      expect.objectContaining({
        timestamp: new Date(D + 70 * MIN).toISOString(),
        input_tokens: 4000,
        output_tokens: 600,
        cached_tokens: 2000,
        request_count: 32,
      }),
    ]);

    // Totals keep growing from there.
    await respond(tg.url);
    expect((await summary()).total_request_count).toBe(43);
  });

  it('refuses to import the same history twice, leaving the store as it was', async () => {
    const file = join(scratch.dir, 'usage-history.json');
    await writeJsonFile(file, CODEX_HISTORY);
    expect((await importHere(file)).code).toBe(0);
    const once = await readFile(storePath, 'utf8');

    const again = await importHere(file);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already imported/);
    expect(await readFile(storePath, 'utf8')).toBe(once);
  });

  it('joins an existing store: own snapshots stay cumulative, overlapping ones left out', async () => {
    // A store that already served traffic and took two snapshots, the first one inside the
    // imported history's time range.
    tg = await startGateway(storeConfig(sim.url, storePath));
    await respond(tg.url);
    const store = tg.gateway.store!;
    store.takeSnapshot();
    await respond(tg.url);
    store.takeSnapshot();
    const ownFirst = store.snapshots[0].at;
    await tg.close();
    tg = undefined;

    const history = {
      version: 1,
      snapshots: [
        {
          timestamp: new Date(ownFirst - 60 * MIN).toISOString(),
          totals: { input_tokens: 100, request_count: 1 },
        },
        {
          timestamp: new Date(ownFirst - 30 * MIN).toISOString(),
          totals: { input_tokens: 300, request_count: 3 },
        },
        {
          timestamp: new Date(ownFirst).toISOString(),
          totals: { input_tokens: 400, request_count: 4 },
        },
      ],
    };
    const file = join(scratch.dir, 'usage-history.json');
    await writeJsonFile(file, history);
    const result = await importHere(file);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/imported 2 snapshots .*\(1 overlapping left out\)/);

    tg = await startGateway(storeConfig(sim.url, storePath));
    expect(await summary()).toMatchObject({
      total_request_count: 2 + 4,
      total_input_tokens: 3000 + 400,
    });
    const { body } = await getJson(`${tg.url}/admin/usage-stats/history?granularity=raw&hours=24`);
    expect(
      (body as { data_points: { request_count: number }[] }).data_points.map(
        (p) => p.request_count,
      ),
    ).toEqual([
      2, // the imported history's own delta
      1 + 4 - 3, // the seam: the first own snapshot (1 request) raised by the imported 4
      1,
    ]);
  });

  it('refuses a file that is not a codex-proxy history, without touching the store', async () => {
    const file = join(scratch.dir, 'not-history.json');
    await writeJsonFile(file, { accounts: [] });
    const result = await importHistory(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/expected a JSON object with a "snapshots" list/);
    await expect(readJsonFile(storePath)).rejects.toThrow(/ENOENT/);
  });
});
