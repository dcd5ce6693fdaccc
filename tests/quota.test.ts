import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { startGateway, type TestGateway } from './support/gateway.js';

/**
 * Per-account rate-limit and quota gauges, read from the headers of every upstream answer
 * (OpenAI, Anthropic, the Codex backend), and the cool-down their reset times decide on a 429.
 */

let sim: Simulator;
let tg: TestGateway;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.reset();
  tg = await startGateway({
    listen: { host: '127.0.0.1', port: 0 },
    accounts: { cooldown_seconds: 600 },
    retry: { max_attempts: 1 },
    upstreams: [
      {
        name: 'openai',
        protocol: 'openai',
        base_url: sim.url,
        accounts: [{ name: 'oa', api_key: 'sk-sim-openai-0001' }],
      },
      {
        name: 'anthropic',
        protocol: 'anthropic',
        base_url: sim.url,
        accounts: [{ name: 'ant', api_key: 'sk-ant-sim-0001' }],
      },
    ],
  });
});
afterEach(() => tg.close());

async function respond(): Promise<number> {
  const res = await fetch(`${tg.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5', input: 'hi' }),
  });
  await res.text();
  return res.status;
}

async function message(): Promise<number> {
  const res = await fetch(`${tg.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-x', max_tokens: 10, messages: [] }),
  });
  await res.text();
  return res.status;
}

async function gauge(name: string, labels: Record<string, string>): Promise<number> {
  return (await tg.scrape()).one(name, labels).value;
}

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const unixIn = (s: number) => String(Math.floor(Date.now() / 1000) + s);

describe('rate-limit gauges', () => {
  it("read OpenAI's x-ratelimit headers, resets given as durations", async () => {
    sim.failNext({
      status: 200,
      headers: {
        'x-ratelimit-limit-requests': '10000',
        'x-ratelimit-remaining-requests': '9321',
        'x-ratelimit-reset-requests': '1m30s',
        'x-ratelimit-limit-tokens': '30000000',
        'x-ratelimit-remaining-tokens': '29998000',
        'x-ratelimit-reset-tokens': '6ms',
      },
      body: { status: 'completed', usage: { input_tokens: 1, output_tokens: 1 } },
    });
    await respond();
    const scrape = await tg.scrape();
    const requests = { account: 'oa', resource: 'requests' };
    expect(scrape.one('tollgate_account_ratelimit_limit', requests).value).toBe(10_000);
    expect(scrape.one('tollgate_account_ratelimit_remaining', requests).value).toBe(9_321);
    const reset = scrape.one('tollgate_account_ratelimit_reset_seconds', requests).value;
    expect(reset).toBeGreaterThan(85);
    expect(reset).toBeLessThanOrEqual(90);
    const tokens = { account: 'oa', resource: 'tokens' };
    expect(scrape.one('tollgate_account_ratelimit_limit', tokens).value).toBe(30_000_000);
    expect(
      scrape.one('tollgate_account_ratelimit_reset_seconds', tokens).value,
    ).toBeLessThanOrEqual(0.006);
  });

  it("read Anthropic's four resources, resets given as RFC 3339 times", async () => {
    expect(await message()).toBe(200);
    const scrape = await tg.scrape();
    const resources = scrape
      .select('tollgate_account_ratelimit_limit', { account: 'ant' })
      .map((s) => s.labels.resource)
      .sort();
    expect(resources).toEqual(['input_tokens', 'output_tokens', 'requests', 'tokens']);
    const input = { account: 'ant', resource: 'input_tokens' };
    expect(scrape.one('tollgate_account_ratelimit_limit', input).value).toBe(1_600_000);
    expect(scrape.one('tollgate_account_ratelimit_remaining', input).value).toBe(1_598_000);
    const reset = scrape.one('tollgate_account_ratelimit_reset_seconds', input).value;
    expect(reset).toBeGreaterThan(0);
    expect(reset).toBeLessThanOrEqual(60);
  });

  it('show a window as refilled once its reset time has passed', async () => {
    sim.failNext({
      status: 200,
      headers: {
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': inSeconds(-1),
      },
      body: { type: 'message', content: [], usage: { input_tokens: 1, output_tokens: 1 } },
    });
    await message();
    const requests = { account: 'ant', resource: 'requests' };
    expect(await gauge('tollgate_account_ratelimit_remaining', requests)).toBe(50);
    expect(await gauge('tollgate_account_ratelimit_reset_seconds', requests)).toBe(0);
  });
});

describe('Codex quota gauges', () => {
  it('read the primary and secondary windows as ratios and seconds to reset', async () => {
    sim.failNext({
      status: 200,
      headers: {
        'x-codex-primary-used-percent': '42',
        'x-codex-primary-window-minutes': '300',
        'x-codex-primary-reset-at': unixIn(3_600),
        'x-codex-secondary-used-percent': '7.5',
        'x-codex-secondary-window-minutes': '10080',
        'x-codex-secondary-reset-at': unixIn(86_400),
      },
      body: { status: 'completed', usage: { input_tokens: 1, output_tokens: 1 } },
    });
    await respond();
    const scrape = await tg.scrape();
    const primary = { account: 'oa', window: 'primary' };
    const secondary = { account: 'oa', window: 'secondary' };
    expect(scrape.one('tollgate_account_quota_used_ratio', primary).value).toBe(0.42);
    expect(scrape.one('tollgate_account_quota_used_ratio', secondary).value).toBe(0.075);
    const primaryReset = scrape.one('tollgate_account_quota_reset_seconds', primary).value;
    expect(primaryReset).toBeGreaterThan(3_590);
    expect(primaryReset).toBeLessThanOrEqual(3_600);
    expect(scrape.one('tollgate_account_quota_reset_seconds', secondary).value).toBeGreaterThan(
      86_000,
    );
  });
});

describe('cool-down from reset headers on a 429', () => {
  /** Seconds the account rests, as its gauge and pool state show. */
  function restSeconds(name: string): number {
    const account = tg.gateway.pool.all().find((a) => a.name === name)!;
    return (account.coolingUntil - Date.now()) / 1000;
  }

  it('rests an Anthropic account until its latest rate-limit reset, not the default', async () => {
    sim.failNext({
      status: 429,
      headers: {
        'anthropic-ratelimit-tokens-remaining': '0',
        'anthropic-ratelimit-tokens-reset': inSeconds(30),
        'anthropic-ratelimit-requests-reset': inSeconds(5),
      },
    });
    expect(await message()).toBe(429);
    expect(await gauge('tollgate_account_available', { account: 'ant' })).toBe(0);
    expect(restSeconds('ant')).toBeGreaterThan(25);
    expect(restSeconds('ant')).toBeLessThanOrEqual(30);
  });

  it('rests a Codex account until its used-up window resets', async () => {
    sim.failNext({
      status: 429,
      headers: {
        'x-codex-primary-used-percent': '100',
        'x-codex-primary-reset-at': unixIn(7_200),
        'x-codex-secondary-used-percent': '30',
        'x-codex-secondary-reset-at': unixIn(500_000),
      },
    });
    expect(await respond()).toBe(429);
    expect(restSeconds('oa')).toBeGreaterThan(7_190);
    expect(restSeconds('oa')).toBeLessThanOrEqual(7_200);
    expect(
      await gauge('tollgate_account_quota_used_ratio', { account: 'oa', window: 'primary' }),
    ).toBe(1);
  });
});
