import OpenAI, { type ClientOptions } from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Fault, type Simulator } from '../simulator/index.js';
import { closedPort } from './support/closed-port.js';
import { startGateway, type TestGateway } from './support/gateway.js';

/** Every test runs one upstream with up to three accounts; their keys tell attempts apart. */
const KEY = {
  'team-a': 'sk-sim-team-a-0001',
  'team-b': 'sk-sim-team-b-0002',
  'team-c': 'sk-sim-team-c-0003',
};
type AccountName = keyof typeof KEY;
const NAMES = Object.keys(KEY) as AccountName[];

/** What the client's own SDK is configured with: it must never reach an upstream. */
const CLIENT_KEY = 'sk-client-own-secret';

let sim: Simulator;
const gateways: TestGateway[] = [];

// Uncompressed answers, so a body passed on "as it came" can be compared byte for byte.
beforeAll(async () => {
  sim = await startSimulator({ compress: false });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());
afterEach(async () => {
  const running = gateways.splice(0);
  try {
    // A leaked in-flight count would quietly steer later requests away from an account.
    for (const { gateway } of running) {
      const busy = () => gateway.pool.all().filter((a) => a.inFlight !== 0);
      await vi.waitFor(() => expect(busy()).toEqual([]));
    }
  } finally {
    await Promise.all(running.map((tg) => tg.close()));
  }
});

interface PoolOptions {
  accounts?: number;
  baseUrl?: string;
  /** Extra top-level config keys: `retry`, `accounts`, `timeouts`. */
  config?: Record<string, unknown>;
  headers?: Partial<Record<AccountName, Record<string, string>>>;
}

/** A gateway over one upstream with `accounts` accounts (two unless told), closed after the test. */
async function startPool(options: PoolOptions = {}): Promise<TestGateway> {
  const accounts = NAMES.slice(0, options.accounts ?? 2).map((name) => ({
    name,
    api_key: KEY[name],
    headers: options.headers?.[name] ?? {},
  }));
  const tg = await startGateway({
    listen: { host: '127.0.0.1', port: 0 },
    upstreams: [
      { name: 'openai', protocol: 'openai', base_url: options.baseUrl ?? sim.url, accounts },
    ],
    ...options.config,
  });
  gateways.push(tg);
  return tg;
}

function sdk(tg: TestGateway, options: ClientOptions = {}): OpenAI {
  return new OpenAI({ baseURL: `${tg.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0, ...options });
}

function ask(client: OpenAI) {
  return client.responses.create({ model: 'gpt-4.1', input: 'Say hello.' }).withResponse();
}

/** A raw call, for status, headers and body bytes exactly as the client gets them. */
function post(tg: TestGateway, body: object = { model: 'gpt-4.1', input: 'Say hello.' }) {
  return fetch(`${tg.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify(body),
  });
}

/** Which account each request that reached the upstream was made with. */
function accountsSeen(): (AccountName | undefined)[] {
  return sim.requests.map((r) => NAMES.find((name) => KEY[name] === r.apiKey));
}

function account(tg: TestGateway, name: AccountName) {
  return tg.gateway.pool.all().find((a) => a.name === name)!;
}

/** `tollgate_account_available` by account. */
async function availability(tg: TestGateway): Promise<Record<string, number>> {
  const series = (await tg.scrape()).select('tollgate_account_available');
  return Object.fromEntries(series.map((s) => [s.labels.account, s.value]));
}

/** `tollgate_upstream_attempts_total` as `account/status_code` → count. */
async function attempts(tg: TestGateway): Promise<Record<string, number>> {
  const series = (await tg.scrape()).select('tollgate_upstream_attempts_total');
  return Object.fromEntries(
    series.map((s) => [`${s.labels.account}/${s.labels.status_code}`, s.value]),
  );
}

/** The labels of the one `tollgate_requests_total` series, which the test expects to be alone. */
async function requestLabels(tg: TestGateway): Promise<Record<string, string>> {
  const series = (await tg.scrape()).select('tollgate_requests_total');
  expect(series.map((s) => s.value)).toEqual([1]);
  return series[0].labels;
}

/** The labels every exchange of these tests shares: one route, one model, no client keys. */
const EXCHANGE = { route: '/v1/responses', model: 'gpt-4.1', client: 'anonymous' };

function exchangeLabels(account: string, outcome: string, status_code: string) {
  return { ...EXCHANGE, account, outcome, status_code };
}

describe('choosing an account', () => {
  it('takes turns between idle accounts', async () => {
    const client = sdk(await startPool());
    for (let i = 0; i < 4; i++) await ask(client);
    expect(accountsSeen()).toEqual(['team-a', 'team-b', 'team-a', 'team-b']);
  });

  it('sends new requests to the account without a stream in flight', async () => {
    const tg = await startPool();
    const client = sdk(tg);
    // A slow stream holds team-a; it is aborted once the other requests are done.
    const stream = await client.responses.create(
      { model: 'gpt-4.1', input: 'Take your time.', stream: true },
      { headers: { 'x-sim-delay-ms': '10000' } },
    );
    await ask(client);
    await ask(client);
    stream.controller.abort();
    // Round robin alone would have sent one of the two to the account holding the stream.
    const [holding, ...next] = accountsSeen();
    expect(next).toHaveLength(2);
    expect(next).not.toContain(holding);
  });
});

describe('rate limits (429)', () => {
  it('retries on the other account, passes on its answer and skips the resting one', async () => {
    const tg = await startPool();
    const client = sdk(tg);
    sim.failNext({ status: 429, headers: { 'retry-after': '30' } });

    const { data, response } = await ask(client);
    expect(response.status).toBe(200);
    expect(data.status).toBe('completed');
    expect(accountsSeen()).toEqual(['team-a', 'team-b']);
    expect(await attempts(tg)).toEqual({ 'team-a/429': 1, 'team-b/200': 1 });
    expect(await requestLabels(tg)).toEqual(exchangeLabels('team-b', 'success', '200'));
    expect(tg.exchanges()).toEqual([
      expect.objectContaining({
        attempts: 2,
        account: 'team-b',
        upstream_request_id: response.headers.get('x-request-id'),
      }),
    ]);
    expect(await availability(tg)).toEqual({ 'team-a': 0, 'team-b': 1 });

    await ask(client);
    expect(accountsSeen()).toEqual(['team-a', 'team-b', 'team-b']);
  });

  // Rest = the later of retry-after and the reset headers, else accounts.cooldown_seconds (45).
  it.each<{ headers: Record<string, string>; restMs: number }>([
    { headers: { 'retry-after': '30' }, restMs: 30_000 },
    { headers: { 'x-ratelimit-reset-requests': '1m30s' }, restMs: 90_000 },
    { headers: { 'retry-after': '5', 'x-ratelimit-reset-tokens': '2m' }, restMs: 120_000 },
    { headers: {}, restMs: 45_000 },
  ])('rests the account for $restMs ms after a 429 with $headers', async ({ headers, restMs }) => {
    const tg = await startPool({ config: { accounts: { cooldown_seconds: 45 } } });
    sim.failNext({ status: 429, headers });

    const before = Date.now();
    expect((await post(tg)).status).toBe(200);
    const after = Date.now();

    const { coolingUntil } = account(tg, 'team-a');
    expect(coolingUntil).toBeGreaterThanOrEqual(before + restMs);
    expect(coolingUntil).toBeLessThanOrEqual(after + restMs);
    expect(await availability(tg)).toEqual({ 'team-a': 0, 'team-b': 1 });
  });
});

describe('bad credentials (401, 403)', () => {
  const probeSoon = { accounts: { disabled_probe_seconds: 0.2 } };

  /** Polls `/health` until every account is back in rotation. */
  async function untilAllAvailable(tg: TestGateway): Promise<void> {
    await vi.waitFor(
      async () => {
        const health = (await (await fetch(`${tg.url}/health`)).json()) as { available: number };
        expect(health.available).toBe(2);
      },
      { timeout: 3000, interval: 20 },
    );
  }

  it('disables the account, fails over, and re-enables it when a probe succeeds', async () => {
    const tg = await startPool({ config: probeSoon });
    const client = sdk(tg);
    sim.failNext({ status: 401 });

    expect((await ask(client)).response.status).toBe(200);
    expect(await attempts(tg)).toEqual({ 'team-a/401': 1, 'team-b/200': 1 });
    expect(await availability(tg)).toEqual({ 'team-a': 0, 'team-b': 1 });
    expect(account(tg, 'team-a').disabled).toBe(true);
    await ask(client);
    expect(accountsSeen()).toEqual(['team-a', 'team-b', 'team-b']);

    await untilAllAvailable(tg);
    sim.reset();
    await ask(client);
    await ask(client);
    expect(accountsSeen()).toContain('team-a');
    expect(account(tg, 'team-a').disabledUntil).toBe(0);
    expect(await availability(tg)).toEqual({ 'team-a': 1, 'team-b': 1 });
  });

  it('disables the account again when the probe is refused too', async () => {
    const tg = await startPool({ config: probeSoon });
    const client = sdk(tg);
    sim.failAccount(KEY['team-a'], { status: 403 }, 2);

    expect((await ask(client)).response.status).toBe(200);
    await untilAllAvailable(tg);
    // Two requests: one of them probes team-a, is refused, and fails over.
    expect((await ask(client)).response.status).toBe(200);
    expect((await ask(client)).response.status).toBe(200);

    expect(await attempts(tg)).toEqual({ 'team-a/403': 2, 'team-b/200': 3 });
    expect(await availability(tg)).toEqual({ 'team-a': 0, 'team-b': 1 });
  });
});

describe('server errors (5xx, 529)', () => {
  it.each([500, 502, 503, 529])('fails over after a %i and keeps the account', async (status) => {
    const tg = await startPool();
    const client = sdk(tg);
    sim.failNext({ status });

    expect((await ask(client)).response.status).toBe(200);
    expect(await attempts(tg)).toEqual({ [`team-a/${status}`]: 1, 'team-b/200': 1 });
    expect(await availability(tg)).toEqual({ 'team-a': 1, 'team-b': 1 });
    expect(account(tg, 'team-a')).toMatchObject({ coolingUntil: 0, disabledUntil: 0 });

    // A resting account would be skipped; this one takes its turn again.
    await ask(client);
    await ask(client);
    expect(accountsSeen().slice(2)).toContain('team-a');
  });
});

describe('when attempts run out', () => {
  /** Each account fails its own way, so the answer the client gets names the account. */
  const FAILURES = { 'team-a': 500, 'team-b': 503, 'team-c': 502 } as const;
  const failureBody = (name: AccountName) => ({
    error: { message: `${name} is down`, type: 'server_error', param: null, code: null },
  });

  it('passes on the last upstream answer as it came', async () => {
    const tg = await startPool({ accounts: 3, config: { retry: { max_attempts: 2 } } });
    for (const name of NAMES) {
      sim.failAccount(KEY[name], {
        status: FAILURES[name],
        headers: { 'x-request-id': `req_${name}` },
        body: failureBody(name),
      });
    }

    const res = await post(tg);
    const [first, last] = accountsSeen() as AccountName[];
    expect(sim.requests).toHaveLength(2);
    expect(res.status).toBe(FAILURES[last]);
    expect(res.headers.get('x-request-id')).toBe(`req_${last}`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe(JSON.stringify(failureBody(last)));

    const status = String(FAILURES[last]);
    expect(await attempts(tg)).toEqual({
      [`${first}/${FAILURES[first]}`]: 1,
      [`${last}/${status}`]: 1,
    });
    expect(await requestLabels(tg)).toEqual(exchangeLabels(last, 'upstream_error', status));
    expect(tg.exchanges()).toEqual([
      expect.objectContaining({ attempts: 2, status, upstream_request_id: `req_${last}` }),
    ]);
  });
});

/** The OpenAI error shape every one of Tollgate's own answers uses. */
async function expectOpenAiError(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('x-tollgate-request-id')).toBeTruthy();
  expect(await res.json()).toEqual({
    error: { message: expect.any(String), type: 'server_error', param: null, code },
  });
}

describe('no account available', () => {
  it('answers 503 without calling the upstream while every account rests', async () => {
    const tg = await startPool();
    sim.failNext({ status: 429, headers: { 'retry-after': '60' } }, 2);
    expect((await post(tg)).status).toBe(429);
    sim.reset();
    tg.logs.length = 0;

    await expectOpenAiError(await post(tg), 503, 'no_account_available');
    expect(sim.requests).toEqual([]);
    expect(
      (await tg.scrape()).one('tollgate_requests_total', { outcome: 'rejected' }).labels,
    ).toEqual(exchangeLabels('none', 'rejected', '503'));
    expect(tg.exchanges()).toEqual([expect.objectContaining({ account: 'none', attempts: 0 })]);
  });
});

describe('unreachable upstream', () => {
  it('answers 502 when the connection is refused on every attempt', async () => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}/v1`;
    const tg = await startPool({ baseUrl });

    await expectOpenAiError(await post(tg), 502, 'upstream_unreachable');
    expect(await attempts(tg)).toEqual({ 'team-a/error': 1, 'team-b/error': 1 });
    expect(await requestLabels(tg)).toEqual(exchangeLabels('team-b', 'unreachable', '502'));
    expect(tg.exchanges()).toEqual([
      expect.objectContaining({ attempts: 2, error_type: 'connection_error' }),
    ]);
  });

  it('answers 502 when every connection is reset before an answer', async () => {
    const tg = await startPool();
    sim.failNext({ kind: 'destroy' }, 2);

    await expectOpenAiError(await post(tg), 502, 'upstream_unreachable');
    expect(await attempts(tg)).toEqual({ 'team-a/error': 1, 'team-b/error': 1 });
    expect(await requestLabels(tg)).toEqual(exchangeLabels('team-b', 'unreachable', '502'));
  });

  it('answers 504 when the upstream sends no headers in time', async () => {
    const tg = await startPool({
      config: { retry: { max_attempts: 1 }, timeouts: { headers_seconds: 0.3 } },
    });
    sim.failNext({ kind: 'hang' });

    await expectOpenAiError(await post(tg), 504, 'upstream_timeout');
    expect(await attempts(tg)).toEqual({ 'team-a/error': 1 });
    expect(await requestLabels(tg)).toEqual(exchangeLabels('team-a', 'unreachable', '504'));
    expect(tg.exchanges()).toEqual([expect.objectContaining({ error_type: 'timeout' })]);
  });
});

describe('headers going up', () => {
  it("sends each attempt with its account's key and never the client's", async () => {
    const tg = await startPool();
    const client = sdk(tg, {
      defaultHeaders: { 'x-api-key': CLIENT_KEY, cookie: `session=${CLIENT_KEY}` },
    });
    sim.failNext({ status: 500 });

    await ask(client);
    expect(sim.requests.map((r) => r.apiKey)).toEqual([KEY['team-a'], KEY['team-b']]);
    expect(JSON.stringify(sim.requests.map((r) => r.headers))).not.toContain(CLIENT_KEY);
  });

  it("lets an account's headers win over the client's", async () => {
    const tg = await startPool({ headers: { 'team-b': { 'OpenAI-Organization': 'org-team-b' } } });
    const client = sdk(tg, { organization: 'org-of-the-client' });

    await ask(client);
    await ask(client);
    // team-a sets no organization, so the client's passes.
    expect(sim.requests.map((r) => r.headers['openai-organization'])).toEqual([
      'org-of-the-client',
      'org-team-b',
    ]);
  });
});

/** The JSON payload of every event of a Responses SSE body. */
function sseEvents(text: string): { type: string; sequence_number: number }[] {
  return [...text.matchAll(/^data: (.*)$/gm)].map((line) => JSON.parse(line[1]));
}

const TERMINAL = ['response.completed', 'response.incomplete', 'response.failed', 'error'];

describe('retries never mix answers', () => {
  it.each<[string, Fault]>([
    ['a 500', { status: 500 }],
    ['a 429', { status: 429 }],
    ['a reset connection', { kind: 'destroy' }],
  ])('streams exactly one answer after %s on the first attempt', async (_, fault) => {
    const tg = await startPool();
    sim.failNext(fault);

    const res = await post(tg, { model: 'gpt-4.1', input: 'Say hello.', stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sseEvents(await res.text());

    // One upstream answer numbers its events 0, 1, 2…; a second one would restart the count.
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.filter((e) => e.type === 'response.created')).toHaveLength(1);
    expect(events.map((e) => e.type).filter((t) => TERMINAL.includes(t))).toEqual([
      'response.completed',
    ]);
    expect(tg.exchanges()).toEqual([
      expect.objectContaining({ attempts: 2, account: 'team-b', outcome: 'success' }),
    ]);
  });
});
