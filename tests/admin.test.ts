import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { parseConfig } from '../src/config/load.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { getJson, respond, scratchDir, shape, storeConfig } from './support/usage-store.js';

/**
 * Who may read the admin routes, and the account list they serve. With an admin token only that
 * token opens them; without one only loopback peers do, whatever Authorization they send.
 */

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const CLIENT_KEY = 'sk-client-key-0001';
const ADMIN_ROUTES = [
  '/admin/usage-stats/summary',
  '/admin/usage-stats/history',
  '/admin/accounts',
];

let sim: Simulator;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
let tg: TestGateway | undefined;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.reset();
  scratch = await scratchDir();
});
afterEach(async () => {
  await tg?.close();
  tg = undefined;
  await scratch.remove();
});

function config(overrides: Record<string, unknown> = {}, accounts = ['team-a']) {
  return storeConfig(sim.url, join(scratch.dir, 'usage.json'), accounts, overrides);
}

/** An address of this machine that is not loopback, to connect from as a "remote" client. */
function outsideAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
}

describe('with admin.token configured', () => {
  const withToken = () =>
    config({ admin: { token: ADMIN_TOKEN }, clients: [{ name: 'ci', key: CLIENT_KEY }] });

  it.each(ADMIN_ROUTES)('%s opens only to the admin token', async (route) => {
    tg = await startGateway(withToken());
    const url = `${tg.url}${route}`;
    const refused: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${CLIENT_KEY}` },
      { authorization: `Bearer ${ADMIN_TOKEN}x` },
      { authorization: ADMIN_TOKEN },
      { 'x-api-key': ADMIN_TOKEN },
    ];
    for (const headers of refused) {
      const { status, body } = await getJson(url, headers);
      expect(status, JSON.stringify(headers)).toBe(401);
      expect(shape(body)).toEqual([['error', 'string']]);
    }
    expect((await getJson(url, { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
  });

  it('refuses a configuration whose admin token is also a client key', () => {
    const bad = config({
      admin: { token: CLIENT_KEY + 'x'.repeat(8) },
      clients: [{ name: 'ci', key: CLIENT_KEY + 'x'.repeat(8) }],
    });
    expect(() => parseConfig(bad)).toThrow('admin.token: must differ from every client key');
  });

  it('never lets the token into a log line or an error body', async () => {
    tg = await startGateway(withToken());
    const { body } = await getJson(`${tg.url}/admin/accounts`, {
      authorization: `Bearer ${ADMIN_TOKEN}-wrong`,
    });
    expect(JSON.stringify(body)).not.toContain(ADMIN_TOKEN);
    expect(JSON.stringify(tg.logs)).not.toContain(ADMIN_TOKEN);
  });
});

describe('without admin.token', () => {
  it.each(ADMIN_ROUTES)('%s answers loopback whatever Authorization it sends', async (route) => {
    tg = await startGateway(config());
    const sent: Record<string, string>[] = [
      {},
      { authorization: 'Bearer sk-old-proxy-key' },
      { authorization: 'x' },
    ];
    for (const headers of sent) {
      expect((await getJson(`${tg.url}${route}`, headers)).status).toBe(200);
    }
  });

  const outside = outsideAddress();
  it.skipIf(!outside)('refuses a peer that is not loopback', async () => {
    tg = await startGateway(
      config({
        listen: { host: '0.0.0.0', port: 0 },
        clients: [{ name: 'ci', key: CLIENT_KEY }],
      }),
    );
    const port = new URL(tg.url).port;
    const { status, body } = await getJson(`http://${outside}:${port}/admin/usage-stats/summary`, {
      authorization: `Bearer ${CLIENT_KEY}`,
    });
    expect(status).toBe(401);
    expect(body).toEqual({
      error: 'Admin routes answer loopback clients only unless admin.token is configured.',
    });
    // The same gateway still serves loopback.
    const local = await getJson(`http://127.0.0.1:${port}/admin/usage-stats/summary`);
    expect(local.status).toBe(200);
  });
});

describe('GET /admin/accounts', () => {
  it('lists each configured account with upstream, state and codex-proxy usage keys', async () => {
    tg = await startGateway(config({}, ['team-a', 'team-b']));
    sim.failNext({ status: 429, headers: { 'retry-after': '120' } });
    const before = Date.now();
    await respond(tg.url);

    const { status, body } = await getJson(`${tg.url}/admin/accounts`);
    expect(status).toBe(200);
    const accounts = (body as { accounts: Record<string, any>[] }).accounts;
    expect(accounts.map((a) => a.name)).toEqual(['team-a', 'team-b']);
    const cooling = accounts.find((a) => a.state === 'cooling_down')!;
    const answered = accounts.find((a) => a.state === 'available')!;
    expect(Object.keys(cooling)).toEqual([
      'name',
      'upstream',
      'state',
      'cooling_down_until',
      'disabled_until',
      'usage',
    ]);
    expect(Date.parse(cooling.cooling_down_until) - before).toBeGreaterThan(110_000);
    expect(cooling).toMatchObject({ upstream: 'openai', disabled_until: null });
    expect(shape(answered.usage)).toEqual([
      ['request_count', 'number'],
      ['input_tokens', 'number'],
      ['output_tokens', 'number'],
      ['cached_tokens', 'number'],
      ['estimated_cost_usd', 'number'],
      ['image_input_tokens', 'number'],
      ['image_output_tokens', 'number'],
      ['image_request_count', 'number'],
      ['image_request_failed_count', 'number'],
      ['empty_response_count', 'number'],
      ['last_used', 'string'],
      ['cache_write_tokens', 'number'],
      ['reasoning_tokens', 'number'],
    ]);
    expect(answered.usage).toMatchObject({
      request_count: 1,
      input_tokens: 1500,
      cached_tokens: 1024,
    });
    expect(cooling.usage).toMatchObject({ request_count: 1, input_tokens: 0 });
    expect(JSON.stringify(body)).not.toContain('sk-sim-');
  });

  it('marks a 401 account disabled until its probe time', async () => {
    tg = await startGateway(config({}, ['team-a', 'team-b']));
    sim.failNext({ status: 401 });
    await respond(tg.url);
    const { body } = await getJson(`${tg.url}/admin/accounts`);
    const disabled = (body as { accounts: Record<string, any>[] }).accounts.find(
      (a) => a.state === 'disabled',
    )!;
    expect(disabled.disabled_until).toMatch(/Z$/);
    expect(disabled.usage.request_count).toBe(1);
  });

  it('answers 404 in JSON for an unknown admin route', async () => {
    tg = await startGateway(config());
    const { status, body } = await getJson(`${tg.url}/admin/nope`);
    expect(status).toBe(404);
    expect(shape(body)).toEqual([['error', 'string']]);
    expect(tg.exchanges()).toEqual([]);
  });
});
