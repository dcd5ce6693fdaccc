import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { reloadFromFile } from '../src/reload.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { startChild, writeConfig } from './support/child-gateway.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { slowStream } from './support/slow-stream.js';
import { getJson, respond, scratchDir } from './support/usage-store.js';

/**
 * Reloading the configuration while serving (SIGHUP): accounts, clients, keys and pricing change
 * for exchanges that start afterwards; streams in flight finish; no counter goes back; a bad
 * file is refused with the old configuration kept.
 */

let sim: Simulator;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
let tg: TestGateway | undefined;
let configPath: string;
let storePath: string;

const ALICE = 'tollgate-alice-key-0001';
const BOB = 'tollgate-bob-key-0002';
const KEY_A = 'sk-sim-team-a-0001';
const KEY_B = 'sk-sim-team-b-0002';

beforeAll(async () => {
  [sim, scratch] = await Promise.all([startSimulator(), scratchDir()]);
});
afterEach(async () => {
  await tg?.close();
  tg = undefined;
  sim.reset();
});
afterAll(async () => {
  await sim.close();
  await scratch.remove();
});

/** The configuration file's content: the given accounts and clients, storage in scratch. */
function config(accounts: Record<string, string>, clients: Record<string, string>, extra = {}) {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    clients: Object.entries(clients).map(([name, key]) => ({ name, key })),
    upstreams: [
      {
        name: 'openai',
        protocol: 'openai',
        base_url: sim.url,
        accounts: Object.entries(accounts).map(([name, api_key]) => ({ name, api_key })),
      },
    ],
    storage: { path: storePath, snapshot_interval_minutes: 0 },
    ...extra,
  };
}

async function startFrom(content: object): Promise<TestGateway> {
  await writeConfig(configPath, content);
  return startGateway(loadConfig(configPath, {}));
}

const asClient = (key: string) => ({ authorization: `Bearer ${key}` });

describe('reload', () => {
  beforeAll(() => {
    configPath = join(scratch.dir, 'reload.yaml');
    storePath = join(scratch.dir, 'reload-usage.json');
  });

  it('switches accounts and clients, finishing the stream in flight and keeping every counter', async () => {
    tg = await startFrom(config({ 'team-a': KEY_A }, { alice: ALICE }));
    await respond(tg.url, 'gpt-5.5', asClient(ALICE));
    const stream = await slowStream(tg.url, { headers: asClient(ALICE), delayMs: 30 });

    // Step 1: team-a and alice leave, team-b and bob arrive, while alice's stream runs.
    await writeConfig(configPath, config({ 'team-b': KEY_B }, { bob: BOB }));
    expect(reloadFromFile(tg.gateway, configPath, {})).toBe('applied');

    // Step 2: the stream finishes whole, on the account it started on.
    expect(await stream.rest).toContain('event: response.completed');

    // Step 3: new exchanges follow the new file.
    const refused = await fetch(`${tg.url}/v1/responses`, {
      method: 'POST',
      headers: asClient(ALICE),
    });
    expect(refused.status).toBe(401);
    await respond(tg.url, 'gpt-5.5', asClient(BOB));
    expect(sim.requests.map((r) => r.apiKey)).toEqual([KEY_A, KEY_A, KEY_B]);

    // Step 4: nothing counted before went away, in /metrics or the store.
    const scrape = await tg.scrape();
    expect(scrape.sum('tollgate_requests_total', { account: 'team-a', outcome: 'success' })).toBe(
      2,
    );
    expect(scrape.sum('tollgate_requests_total', { account: 'team-b' })).toBe(1);
    expect(scrape.sum('tollgate_tokens_total', { token_kind: 'host_in' })).toBe(
      sim.reported.host_in,
    );
    expect(scrape.one('tollgate_config_reloads_total', { result: 'applied' }).value).toBe(1);
    const summary = (await getJson(`${tg.url}/admin/usage-stats/summary`)).body;
    expect(summary).toMatchObject({
      total_input_tokens: sim.reported.host_in,
      total_request_count: 3,
    });
    expect(tg.gateway.store!.accountUsage('team-a').request_count).toBe(2);
  });

  it('refuses a bad file with one warning naming the problem, and keeps the old configuration', async () => {
    tg = await startFrom(config({ 'team-a': KEY_A }, { alice: ALICE }));
    await writeFile(configPath, 'upstreams: [{ name: x }]\n');
    expect(reloadFromFile(tg.gateway, configPath, {})).toBe('refused');

    const warning = tg.logs.find((l) => l.msg.startsWith('configuration reload refused'));
    expect(warning).toMatchObject({ level: 40 });
    expect(String(warning!.problem)).toContain('upstreams[0].protocol');
    await respond(tg.url, 'gpt-5.5', asClient(ALICE));
    expect(sim.requests.map((r) => r.apiKey)).toEqual([KEY_A]);
    const scrape = await tg.scrape();
    expect(scrape.one('tollgate_config_reloads_total', { result: 'refused' }).value).toBe(1);
  });

  it('keeps the state of an account that keeps its name', async () => {
    tg = await startFrom(config({ 'team-a': KEY_A }, { alice: ALICE }));
    sim.failNext({ status: 429, headers: { 'retry-after': '60' } });
    await respond(tg.url, 'gpt-5.5', asClient(ALICE));

    await writeConfig(configPath, config({ 'team-a': KEY_A, 'team-b': KEY_B }, { alice: ALICE }));
    reloadFromFile(tg.gateway, configPath, {});
    await respond(tg.url, 'gpt-5.5', asClient(ALICE));

    // team-a still rests from its 429, so team-b took the exchange.
    expect(sim.requests.map((r) => r.apiKey)).toEqual([KEY_A, KEY_B]);
    const scrape = await tg.scrape();
    expect(scrape.one('tollgate_account_available', { account: 'team-a' }).value).toBe(0);
    expect(scrape.one('tollgate_account_available', { account: 'team-b' }).value).toBe(1);
  });

  it('prices exchanges that end after the reload with the new pricing table', async () => {
    tg = await startFrom(config({ 'team-a': KEY_A }, { alice: ALICE }));
    await respond(tg.url, 'gpt-5.5', asClient(ALICE));
    const before = (await tg.scrape()).sum('tollgate_cost_usd_total');
    const reportedBefore = { ...sim.reported };

    // One dollar per prompt token that missed the cache, nothing else.
    const pricingPath = join(scratch.dir, 'pricing.yaml');
    await writeConfig(pricingPath, {
      models: { 'gpt-5.5': { input: 1e6, output: 0, cached_input: 0 } },
    });
    await writeConfig(
      configPath,
      config({ 'team-a': KEY_A }, { alice: ALICE }, { pricing: { path: pricingPath } }),
    );
    reloadFromFile(tg.gateway, configPath, {});
    await respond(tg.url, 'gpt-5.5', asClient(ALICE));

    const added = (await tg.scrape()).sum('tollgate_cost_usd_total') - before;
    const plainInput =
      sim.reported.host_in - reportedBefore.host_in - (sim.reported.cache - reportedBefore.cache);
    expect(added).toBeCloseTo(plainInput, 6);
  });

  it('says which sections wait for a restart, and applies the rest', async () => {
    tg = await startFrom(config({ 'team-a': KEY_A }, { alice: ALICE }));
    const next = config({ 'team-a': KEY_A }, { bob: BOB }, { timeouts: { idle_seconds: 5 } });
    await writeConfig(configPath, next);
    expect(reloadFromFile(tg.gateway, configPath, {})).toBe('applied');
    const warning = tg.logs.find((l) => l.msg === 'these sections change only on restart');
    expect(warning).toMatchObject({ level: 40, sections: ['timeouts'] });
    expect(tg.gateway.config.timeouts.idle_seconds).toBe(300);
    await respond(tg.url, 'gpt-5.5', asClient(BOB));
    expect(sim.requests).toHaveLength(1);
  });
});

describe('SIGHUP', () => {
  it(
    'reloads the file of a running process, and refuses a broken one',
    { timeout: 20_000 },
    async () => {
      const path = join(scratch.dir, 'sighup.yaml');
      storePath = join(scratch.dir, 'sighup-usage.json');
      await writeConfig(path, config({ 'team-a': KEY_A }, { alice: ALICE }));
      const gateway = await startChild(path);

      await writeConfig(path, config({ 'team-a': KEY_A }, { bob: BOB }));
      gateway.child.kill('SIGHUP');
      await gateway.logLine((l) => l.msg === 'configuration reloaded');
      await respond(gateway.url, 'gpt-5.5', asClient(BOB));
      expect(sim.requests.map((r) => r.apiKey)).toEqual([KEY_A]);

      await writeFile(path, 'upstreams: [\n');
      gateway.child.kill('SIGHUP');
      await gateway.logLine((l) => l.msg.startsWith('configuration reload refused'));
      await respond(gateway.url, 'gpt-5.5', asClient(BOB));
      expect(sim.requests).toHaveLength(2);

      gateway.child.kill('SIGTERM');
      expect((await gateway.exited)[0]).toBe(0);
    },
  );
});
