import { watch } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import {
  filesIn,
  getJson,
  readJsonFile,
  respond,
  scratchDir,
  shape,
  storeConfig,
  writeJsonFile,
} from './support/usage-store.js';

/**
 * The usage store seen from outside: the summary an operator's tooling polls, the JSON file on
 * disk, and what survives a restart, a damaged file and a changed configuration.
 */

let sim: Simulator;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
let path: string;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.reset();
  scratch = await scratchDir();
  path = join(scratch.dir, 'usage.json');
});
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((tg) => tg.close()));
  await scratch.remove();
});

async function start(accounts = ['team-a'], overrides: Record<string, unknown> = {}) {
  const tg = await startGateway(storeConfig(sim.url, path, accounts, overrides));
  gateways.push(tg);
  return tg;
}

async function stop(tg: TestGateway): Promise<void> {
  gateways.splice(gateways.indexOf(tg), 1);
  await tg.close();
}

async function summary(tg: TestGateway): Promise<Record<string, number>> {
  const { status, body } = await getJson(`${tg.url}/admin/usage-stats/summary`);
  expect(status).toBe(200);
  return body as Record<string, number>;
}

/** The simulator's default Responses answer: 1500 prompt tokens (1024 cached), 80 output. */
const ONE_TEXT_ANSWER = { input: 1500, cached: 1024, output: 80 };
/** gpt-5.5 at 5 / 0.5 / 30 USD per million: 476 × 5 + 1024 × 0.5 + 80 × 30 micro-dollars. */
const ONE_TEXT_ANSWER_USD = 0.005292;

const SUMMARY_KEYS = [
  'total_input_tokens',
  'total_output_tokens',
  'total_cached_tokens',
  'total_image_input_tokens',
  'total_image_output_tokens',
  'total_image_request_count',
  'total_image_request_failed_count',
  'total_estimated_cost_usd',
  'total_request_count',
  'total_accounts',
  'active_accounts',
];

describe('GET /admin/usage-stats/summary', () => {
  it('has exactly the compatible keys, in order, all numbers, zero before traffic', async () => {
    const tg = await start(['team-a', 'team-b']);
    const body = await summary(tg);
    expect(shape(body)).toEqual(SUMMARY_KEYS.map((k) => [k, 'number']));
    expect(body).toEqual({
      ...Object.fromEntries(SUMMARY_KEYS.map((k) => [k, 0])),
      total_accounts: 2,
      active_accounts: 2,
    });
  });

  it('is live, counts upstream attempts, and leaves a cooling account out of active', async () => {
    const tg = await start(['team-a', 'team-b']);
    sim.failNext({ status: 429, headers: { 'retry-after': '60' } });
    await respond(tg.url);

    expect(await summary(tg)).toEqual({
      total_input_tokens: ONE_TEXT_ANSWER.input,
      total_output_tokens: ONE_TEXT_ANSWER.output,
      total_cached_tokens: ONE_TEXT_ANSWER.cached,
      total_image_input_tokens: 0,
      total_image_output_tokens: 0,
      total_image_request_count: 0,
      total_image_request_failed_count: 0,
      total_estimated_cost_usd: ONE_TEXT_ANSWER_USD,
      total_request_count: 2,
      total_accounts: 2,
      active_accounts: 1,
    });
  });

  it('counts image requests by outcome, with their image tokens', async () => {
    const tg = await start();
    const image = (scenario: string) =>
      fetch(`${tg.url}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-sim-scenario': scenario },
        body: JSON.stringify({
          model: 'gpt-5.5',
          input: 'a cat',
          tools: [{ type: 'image_generation' }],
        }),
      }).then((res) => res.arrayBuffer());
    await image('image');
    await image('image_fallback');

    const body = await summary(tg);
    expect(body).toMatchObject({
      total_image_input_tokens: 62,
      total_image_output_tokens: 1056,
      total_image_request_count: 1,
      total_image_request_failed_count: 1,
      total_request_count: 2,
    });
  });
});

describe('the usage file', () => {
  it('keeps totals across a restart, and holds them on disk after shutdown', async () => {
    const first = await start();
    await respond(first.url);
    await respond(first.url);
    const before = await summary(first);
    await stop(first);

    const file = await readJsonFile(path);
    expect(file.version).toBe(1);
    expect(file.accounts).toEqual({
      'team-a': expect.objectContaining({
        request_count: 2,
        host_in: 2 * ONE_TEXT_ANSWER.input,
        cache: 2 * ONE_TEXT_ANSWER.cached,
        host_out: 2 * ONE_TEXT_ANSWER.output,
        last_used: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      }),
    });

    const second = await start();
    expect(await summary(second)).toEqual(before);
    await respond(second.url);
    expect((await summary(second)).total_request_count).toBe(3);
  });

  it('is written while running, atomically, at most once per write interval', async () => {
    const tg = await start();
    // Each write renames a finished temporary file over usage.json: one rename event per write.
    const writes: number[] = [];
    const watcher = watch(scratch.dir, (_, name) => {
      if (name === 'usage.json') writes.push(Date.now());
    });
    try {
      for (let i = 0; i < 5; i++) await respond(tg.url);
      await vi.waitFor(
        async () => {
          const file = await readJsonFile(path);
          expect(file.accounts).toMatchObject({ 'team-a': { request_count: 5 } });
        },
        { timeout: 3000, interval: 50 },
      );
    } finally {
      watcher.close();
    }
    // The first exchange is written at once, the other four together a second later.
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(writes.length).toBeLessThanOrEqual(2);
    if (writes.length === 2) expect(writes[1] - writes[0]).toBeGreaterThanOrEqual(900);
  });

  it('loads a file with missing fields, reading the missing numbers as 0', async () => {
    await writeJsonFile(path, {
      accounts: { 'team-a': { request_count: 7, host_in: 1000, last_used: null } },
      baseline: { host_out: 5, estimated_cost_usd: 1.25 },
    });
    const tg = await start();
    expect(await summary(tg)).toEqual({
      ...Object.fromEntries(SUMMARY_KEYS.map((k) => [k, 0])),
      total_input_tokens: 1000,
      total_output_tokens: 5,
      total_estimated_cost_usd: 1.25,
      total_request_count: 7,
      total_accounts: 1,
      active_accounts: 1,
    });
  });

  it.each([
    ['unparseable JSON', '{"accounts": {"team-a": {"request_count": 4'],
    ['JSON that is not an object', '[1, 2, 3]'],
  ])('sets aside a file holding %s, warns, starts empty, never overwrites it', async (_, text) => {
    await writeFile(path, text);
    const tg = await start();

    const aside = (await filesIn(scratch.dir)).filter((f) => f.startsWith('usage.json.corrupt-'));
    expect(aside).toHaveLength(1);
    const warning = tg.logs.find((l) => l.level === 40 && String(l.msg).includes('unreadable'));
    expect(warning).toMatchObject({ path, moved_to: join(scratch.dir, aside[0]) });
    expect((await summary(tg)).total_request_count).toBe(0);

    await respond(tg.url);
    await stop(tg);
    expect(await readFile(join(scratch.dir, aside[0]), 'utf8')).toBe(text);
    expect((await readJsonFile(path)).accounts).toMatchObject({ 'team-a': { request_count: 1 } });
  });

  it('keeps the usage of an account removed from the configuration in the totals', async () => {
    const both = await start(['team-a', 'team-b']);
    for (let i = 0; i < 4; i++) await respond(both.url);
    const before = await summary(both);
    await stop(both);

    const onlyA = await start(['team-a']);
    const after = await summary(onlyA);
    expect(after).toEqual({ ...before, total_accounts: 1, active_accounts: 1 });
    await respond(onlyA.url);
    expect((await summary(onlyA)).total_request_count).toBe(before.total_request_count + 1);
    await stop(onlyA);

    const file = await readJsonFile(path);
    expect(Object.keys(file.accounts as object)).toEqual(['team-a']);
    expect(file.baseline).toMatchObject({ request_count: 2, host_in: 2 * ONE_TEXT_ANSWER.input });
  });
});
