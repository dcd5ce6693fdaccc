import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { closedPort } from './support/closed-port.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { postJson, send as sendRaw } from './support/raw-http.js';
import { KEYS, readAll, send, STREAM_CALLS, threeUpstreams } from './support/three-upstreams.js';

/**
 * A broad run of exchanges in all three protocols (successes, spoiled streams, resets, stalls,
 * retries, upstream errors, an unreachable upstream, refusals) with distinctive account, client
 * and metrics keys; afterwards none of them appears in a log line, a span, an exported metric,
 * the scrape, anything a client received, or the usage file. The client's key never reaches an
 * upstream, and an account's key reaches only its own upstream, in its credential header.
 */

process.env.OTEL_BSP_SCHEDULE_DELAY = '20';

const DEAD_KEY = 'sk-ACCOUNTSECRET-dead-upstream-4411';
const WRONG_CLIENT_KEY = 'tg-CLIENTSECRET-wrong-key-0000';
const METRICS_TOKEN = 'mt-METRICSSECRET-scraper-5150';
const SECRETS = [...Object.values(KEYS), DEAD_KEY, WRONG_CLIENT_KEY, METRICS_TOKEN];
/** Fragments shared by the secrets: a partial echo (a key cut or masked at the ends) shows too. */
const FRAGMENTS = ['ACCOUNTSECRET', 'CLIENTSECRET', 'METRICSSECRET'];

let sim: Simulator;
let receiver: OtlpReceiver;
let tg: TestGateway;
let scratch: string;
/** Everything any client received: status line facts, headers and body, as text. */
const received: string[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  receiver = new OtlpReceiver();
  const receiverUrl = await receiver.start();
  scratch = await mkdtemp(join(tmpdir(), 'tollgate-secrets-'));
  const config = threeUpstreams(sim, {
    timeouts: { connect_seconds: 1, headers_seconds: 1, idle_seconds: 0.3 },
    metrics: { token: METRICS_TOKEN },
    storage: { enabled: true, path: join(scratch, 'usage.json') },
    limits: { max_body_bytes: 64 * 1024 },
  });
  const dead = {
    name: 'dead',
    protocol: 'openai',
    base_url: `http://127.0.0.1:${await closedPort()}/v1`,
    models: ['dead-*'],
    accounts: [{ name: 'dead-a', api_key: DEAD_KEY }],
  };
  config.upstreams.push(dead as (typeof config.upstreams)[number]);
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  };
  tg = await startGateway(config, { env });
});
afterAll(async () => {
  await sim.close();
  await receiver.close();
  await rm(scratch, { recursive: true, force: true });
});

async function keep(res: Response): Promise<void> {
  const read = await readAll(res);
  const body = 'bytes' in read ? read.bytes.toString('latin1') : `error ${String(read.error)}`;
  received.push(JSON.stringify([...res.headers]), body);
}

function keepRaw(answer: { status: number; headers: object; body: Buffer }): void {
  received.push(JSON.stringify(answer.headers), answer.body.toString('latin1'));
}

function expectNoSecret(where: string, text: string): void {
  for (const secret of [...SECRETS, ...FRAGMENTS]) {
    expect(text.includes(secret), `${where} holds ${secret}`).toBe(false);
  }
}

describe('secrets', () => {
  it('appear nowhere after a broad run of exchanges', { timeout: 20_000 }, async () => {
    // Step 1: every protocol, cleanly and with spoiled, reset or stalled streams.
    const shapes: Record<string, string>[] = [
      {},
      { 'x-sim-framing': 'crlf' },
      { 'x-sim-scenario': 'reset' },
    ];
    for (const call of STREAM_CALLS) {
      for (const shape of shapes) await keep(await send(tg.url, call, shape));
      await keep(await send(tg.url, call, { 'x-sim-stall-after': '1' }));
    }
    const [responses, , anthropic, gemini] = STREAM_CALLS;

    // Step 2: retries and upstream errors in each protocol.
    sim.failNext({ status: 429, headers: { 'retry-after': '1' } });
    await keep(await send(tg.url, responses));
    sim.failNext({ status: 500 }, 3);
    await keep(await send(tg.url, responses));
    sim.failNext({ status: 401 });
    await keep(await send(tg.url, anthropic));
    sim.failNext({ status: 529 });
    await keep(await send(tg.url, anthropic));
    sim.failNext({ status: 403 });
    await keep(await send(tg.url, gemini));
    sim.failNext({ kind: 'destroy' }, 2);
    await keep(await send(tg.url, responses));
    const unreachable = { ...responses, body: { ...responses.body, model: 'dead-model' } };
    await keep(await send(tg.url, unreachable));

    // Step 3: refusals, with the client's key in every place a client might put it.
    const wrong = { authorization: `Bearer ${WRONG_CLIENT_KEY}` };
    await keep(await send(tg.url, { ...responses, headers: wrong }));
    await keep(await send(tg.url, { ...anthropic, headers: { 'x-api-key': WRONG_CLIENT_KEY } }));
    await keep(
      await send(tg.url, {
        ...gemini,
        path: `${gemini.path}&key=${WRONG_CLIENT_KEY}`,
        headers: {},
      }),
    );
    await keep(
      await send(tg.url, { ...gemini, path: `${gemini.path}&key=${KEYS.client}`, headers: {} }),
    );
    const auth = { authorization: `Bearer ${KEYS.client}` };
    keepRaw(await postJson(tg.url, '/v1/responses', `{"model": "${KEYS.client}"`, auth));
    keepRaw(
      await postJson(
        tg.url,
        '/v1/responses',
        { model: 'gpt-4.1', input: 'x'.repeat(70_000) },
        auth,
      ),
    );
    keepRaw(await postJson(tg.url, '/v1/responses', { model: 'no-such-model', input: 'x' }, auth));
    keepRaw(
      await sendRaw(tg.url, '/v1/models', {
        headers: { ...auth, cookie: `session=${KEYS.client}` },
      }),
    );
    keepRaw(await sendRaw(tg.url, `/v1/nowhere?key=${KEYS.client}`, { headers: auth }));

    // Step 4: the metrics endpoint is closed without its token, open with it.
    const refused = await fetch(`${tg.url}/metrics`, {
      headers: { authorization: `Bearer ${KEYS.client}` },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /);
    await keep(refused);
    expect((await fetch(`${tg.url}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${tg.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(scraped.status).toBe(200);
    const scrapeText = await scraped.text();
    expect(scrapeText).toContain('tollgate_requests_total');
    const summary = await fetch(`${tg.url}/admin/usage-stats/summary`);
    await keep(summary);

    // Step 5: flush everything out, then search.
    await tg.close();
    const store = await readFile(join(scratch, 'usage.json'), 'utf8');
    expect(store).toContain('openai-a');
    expect(tg.exchanges().length).toBeGreaterThan(30);
    expect(receiver.spans.length).toBeGreaterThan(30);

    expectNoSecret('the log', JSON.stringify(tg.logs));
    expectNoSecret('a span', JSON.stringify(receiver.spans));
    expectNoSecret('an OTLP metric export', JSON.stringify(receiver.metricBatches));
    expectNoSecret('the scrape', scrapeText);
    expectNoSecret('a client answer', received.join('\n'));
    expectNoSecret('the usage file', store);
  });

  it("never sends the client's key upstream, and each account key only in its own header", () => {
    expect(sim.requests.length).toBeGreaterThan(20);
    const credential: Record<string, string[]> = {
      [KEYS.openaiA]: ['authorization'],
      [KEYS.openaiB]: ['authorization'],
      [KEYS.anthropic]: ['x-api-key'],
      [KEYS.gemini]: ['x-goog-api-key'],
    };
    for (const request of sim.requests) {
      const seen = JSON.stringify([request.path, request.headers, request.body.toString('latin1')]);
      expect(seen).not.toContain('CLIENTSECRET');
      expect(seen).not.toContain(DEAD_KEY);
      const present = Object.keys(credential).filter((key) => seen.includes(key));
      expect(present, request.path).toHaveLength(1);
      const [key] = present;
      const carriers = Object.entries(request.headers)
        .filter(([, value]) => String(value).includes(key))
        .map(([name]) => name);
      expect(carriers).toEqual(credential[key]);
      expect(request.path).not.toContain(key);
    }
  });
});
