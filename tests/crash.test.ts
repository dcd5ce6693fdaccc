import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { startChild, writeConfig, type ChildGateway } from './support/child-gateway.js';
import { seeded, sendMixedTraffic } from './support/mixed-traffic.js';
import { mixedUpstreams } from './support/mixed-upstreams.js';
import { slowStream } from './support/slow-stream.js';
import { getJson, scratchDir } from './support/usage-store.js';

/**
 * Crash safety of the `tollgate` process: a SIGKILL in the middle of writing the usage file
 * leaves a whole, loadable file and a restart resumes from it; a SIGTERM during traffic lets the
 * streams in flight finish, refuses new connections, writes the file and exits 0.
 */

let sim: Simulator;
let partialSim: Simulator;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
const children: ChildGateway[] = [];

beforeAll(async () => {
  [sim, partialSim, scratch] = await Promise.all([
    startSimulator(),
    startSimulator(),
    scratchDir(),
  ]);
});
afterAll(async () => {
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all([sim.close(), partialSim.close()]);
  await scratch.remove();
});

async function start(name: string, extra: Record<string, unknown> = {}) {
  const storePath = join(scratch.dir, `${name}.json`);
  const configPath = join(scratch.dir, `${name}.yaml`);
  await writeConfig(configPath, {
    listen: { host: '127.0.0.1', port: 0 },
    upstreams: mixedUpstreams(sim, partialSim),
    accounts: { cooldown_seconds: 0.05 },
    storage: { path: storePath, write_interval_seconds: 1, snapshot_interval_minutes: 1 },
    ...extra,
  });
  const gateway = await startChild(configPath);
  children.push(gateway);
  return { gateway, storePath, configPath };
}

interface FileTotals {
  host_in: number;
  host_out: number;
  request_count: number;
}

/** Tokens and requests over the baseline and every account of a parsed usage file. */
function fileTotals(file: { accounts: Record<string, FileTotals>; baseline: FileTotals }) {
  const rows = [file.baseline, ...Object.values(file.accounts)];
  const sum = (key: keyof FileTotals) => rows.reduce((total, row) => total + row[key], 0);
  return {
    host_in: sum('host_in'),
    host_out: sum('host_out'),
    request_count: sum('request_count'),
  };
}

describe('SIGKILL while the usage file is being written', () => {
  it('leaves a valid file, and a restart resumes from it', { timeout: 30_000 }, async () => {
    // Step 1: traffic until the file has been written once with usage in it.
    const { gateway, storePath, configPath } = await start('killed');
    const traffic = keepSending(gateway.url);
    let before = { host_in: 0, host_out: 0, request_count: 0 };
    while (before.host_in === 0) {
      await nextWrite(storePath);
      before = fileTotals(JSON.parse(await readFile(storePath, 'utf8')));
    }

    // Step 2: SIGKILL the moment the next write begins (its temporary file appears).
    await nextWrite(storePath, () => gateway.child.kill('SIGKILL'));
    const [, signal] = await gateway.exited;
    traffic.stop();
    await traffic.done;
    expect(signal).toBe('SIGKILL');

    // Step 3: the file is whole JSON, no older than the last write seen.
    const file = JSON.parse(await readFile(storePath, 'utf8'));
    const after = fileTotals(file);
    expect(after.host_in).toBeGreaterThanOrEqual(before.host_in);
    expect(after.request_count).toBeGreaterThanOrEqual(before.request_count);

    // Step 4: a restart loads it and reports exactly its totals.
    const restarted = await startChild(configPath);
    children.push(restarted);
    const summary = (await getJson(`${restarted.url}/admin/usage-stats/summary`)).body as {
      total_input_tokens: number;
      total_output_tokens: number;
      total_request_count: number;
    };
    expect(summary.total_input_tokens).toBe(after.host_in);
    expect(summary.total_output_tokens).toBe(after.host_out);
    expect(summary.total_request_count).toBe(after.request_count);
    restarted.child.kill('SIGTERM');
    expect((await restarted.exited)[0]).toBe(0);
  });
});

describe('SIGTERM during traffic', () => {
  it('drains the streams in flight, refuses new connections, flushes and exits 0', async () => {
    const { gateway, storePath } = await start('drained', { shutdown: { grace_seconds: 10 } });
    sim.reset();

    // Step 1: five slow streams (about a second each), each past its first bytes.
    const streams = await Promise.all(Array.from({ length: 5 }, () => slowStream(gateway.url)));

    // Step 2: SIGTERM; new connections are refused while the streams go on.
    gateway.child.kill('SIGTERM');
    await gateway.logLine((l) => l.msg === 'draining');
    await expect(fetch(`${gateway.url}/health`)).rejects.toThrow();

    // Step 3: every stream ends with its terminal event, then the process exits 0.
    const bodies = await Promise.all(streams.map((s) => s.rest));
    for (const body of bodies) expect(body).toContain('event: response.completed');
    const [code] = await gateway.exited;
    expect(code).toBe(0);

    // Step 4: their usage is in the file.
    const totals = fileTotals(JSON.parse(await readFile(storePath, 'utf8')));
    expect(totals.host_in).toBe(sim.reported.host_in);
    expect(totals.host_in).toBeGreaterThan(0);
  });

  it('cuts what is still running when the grace period ends, and still exits 0', async () => {
    const { gateway } = await start('cut', { shutdown: { grace_seconds: 0.3 } });
    const stream = await slowStream(gateway.url, { delayMs: 200 });
    const stoppedAt = performance.now();
    gateway.child.kill('SIGTERM');

    const body = await stream.rest.catch(() => 'cut');
    const [code] = await gateway.exited;
    expect(code).toBe(0);
    expect(body).not.toContain('event: response.completed');
    expect(performance.now() - stoppedAt).toBeLessThan(5_000);
    await gateway.logLine((l) => l.msg === 'grace period over: answers in flight were cut');
  });
});

/** Mixed traffic, 20 at a time, until stopped; errors once the gateway is gone are expected. */
function keepSending(url: string) {
  let stopped = false;
  const rand = seeded(7);
  const done = (async () => {
    while (!stopped) {
      await sendMixedTraffic({ url, sim, count: 40, concurrency: 20, rand }).catch(() => undefined);
    }
  })();
  return { stop: () => (stopped = true), done };
}

/** Resolves when the store next starts writing `path` (lowdb writes `.<name>.tmp`, then renames
 * it over the file), after `onStart` has run, or once the rename has landed when none is given. */
function nextWrite(path: string, onStart?: () => void): Promise<void> {
  const dir = join(path, '..');
  const name = path.slice(dir.length + 1);
  return new Promise((resolve) => {
    const watcher = watch(dir, (_event, file) => {
      const started = file === `.${name}.tmp`;
      if (onStart ? !started : file !== name) return;
      watcher.close();
      onStart?.();
      resolve();
    });
  });
}
