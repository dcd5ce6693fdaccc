import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { parseSse } from './support/sse.js';

/**
 * Gemini generateContent through the gateway over plain HTTP, as a Gemini SDK pointed at it
 * sends: SSE and JSON-array streams and whole answers, usage from the last `usageMetadata`,
 * the model from the path, client keys never forwarded, and errors in Gemini's shape.
 */

const ACCOUNT_KEY = 'AIzaSy-sim-account-0001';
const CLIENT_KEY = 'gemini-client-own-key-7';
const MODEL = 'gemini-2.5-flash';
const BODY = { contents: [{ role: 'user', parts: [{ text: 'Say hello.' }] }] };

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
    clients: [{ name: 'notebook', key: CLIENT_KEY }],
    upstreams: [
      {
        name: 'gemini',
        protocol: 'gemini',
        base_url: sim.geminiUrl,
        models: ['gemini-*'],
        accounts: [{ name: 'gem-a', api_key: ACCOUNT_KEY }],
      },
    ],
  });
});
afterEach(() => tg.close());

async function call(path: string, body: unknown = BODY, headers: Record<string, string> = {}) {
  const res = await fetch(`${tg.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': CLIENT_KEY, ...headers },
    body: JSON.stringify(body),
  });
  return { res, text: await res.text() };
}

const GENERATE = `/v1beta/models/${MODEL}:generateContent`;
const STREAM = `/v1beta/models/${MODEL}:streamGenerateContent`;

describe('generateContent', () => {
  it('meters a whole answer, with the model taken from the path', async () => {
    const logged = tg.nextExchange();
    const { res, text } = await call(GENERATE, { ...BODY, cachedContent: 'cachedContents/abc' });
    expect(res.status).toBe(200);
    expect(JSON.parse(text).candidates[0].finishReason).toBe('STOP');
    expect(await logged).toMatchObject({
      route: '/v1beta/models/{model}:generateContent',
      model: MODEL,
      account: 'gem-a',
      client: 'notebook',
      outcome: 'success',
      stream: false,
      tokens: { host_in: 1500, cache: 1024, host_out: 80, reasoning: 0 },
    });
    const scrape = await tg.scrape();
    const genAi = { gen_ai_provider_name: 'gcp.gemini', gen_ai_operation_name: 'generate_content' };
    expect(scrape.sum('gen_ai_client_token_usage', genAi)).toBe(2);
    expect(scrape.sum('gen_ai_client_operation_duration', genAi)).toBe(1);
  });

  it('counts thinking tokens as output and as reasoning', async () => {
    const logged = tg.nextExchange();
    await call(GENERATE, BODY, { 'x-sim-scenario': 'reasoning' });
    expect((await logged).tokens).toMatchObject({ host_out: 80 + 320, reasoning: 320 });
  });

  it('sends the account key in x-goog-api-key and drops the client key, ?key= included', async () => {
    const res = await fetch(`${tg.url}${GENERATE}?key=${CLIENT_KEY}&$alt=json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(BODY),
    });
    expect(res.status).toBe(200);
    const seen = sim.requests[0];
    expect(seen.headers['x-goog-api-key']).toBe(ACCOUNT_KEY);
    expect(seen.path).toBe(`/v1beta/models/${MODEL}:generateContent?$alt=json`);
    expect(JSON.stringify([seen.headers, seen.path])).not.toContain(CLIENT_KEY);
  });
});

describe('streamGenerateContent', () => {
  it('with alt=sse: relays the SSE unchanged and takes usage from the last chunk', async () => {
    const logged = tg.nextExchange();
    const { res, text } = await call(`${STREAM}?alt=sse`, BODY, { 'accept-encoding': 'identity' });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(Buffer.from(text)).toEqual(Buffer.concat(sim.requests[0].sent));
    const chunks = parseSse(text).map((e) => JSON.parse(e.data));
    expect(chunks.length).toBeGreaterThan(1);
    const { candidatesTokenCount: soFar } = chunks[0].usageMetadata;
    expect(chunks[0].usageMetadata).toEqual({
      promptTokenCount: 1500,
      candidatesTokenCount: soFar,
      totalTokenCount: 1500 + soFar,
    });
    expect(soFar).toBeLessThan(80);
    const line = await logged;
    expect(line).toMatchObject({
      route: '/v1beta/models/{model}:streamGenerateContent',
      outcome: 'success',
      stream: true,
      tokens: { host_in: 1500, host_out: 80 },
    });
    expect(line.ttft_ms).toEqual(expect.any(Number));
  });

  it('with alt=sse, a stream cut short counts the usage of the last chunk that came', async () => {
    const logged = tg.nextExchange();
    const { text } = await call(`${STREAM}?alt=sse`, BODY, {
      'accept-encoding': 'identity',
      'x-sim-scenario': 'premature_close',
    });
    const chunks = parseSse(text).map((e) => JSON.parse(e.data));
    const [first, last] = [chunks[0].usageMetadata, chunks.at(-1).usageMetadata];
    expect(last.candidatesTokenCount).toBeGreaterThan(first.candidatesTokenCount);
    expect(await logged).toMatchObject({
      outcome: 'incomplete',
      tokens: { host_in: 1500, host_out: last.candidatesTokenCount },
    });
  });

  it('without alt=sse: meters the streamed JSON array element by element', async () => {
    const logged = tg.nextExchange();
    const usage = JSON.stringify({ cachedContentTokenCount: 700 });
    const { res, text } = await call(STREAM, BODY, {
      'x-sim-scenario': 'reasoning',
      'x-sim-usage': usage,
      'x-sim-delay-ms': '40',
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const chunks = JSON.parse(text) as unknown[];
    expect(chunks.length).toBeGreaterThan(1);
    const line = await logged;
    expect(line).toMatchObject({
      outcome: 'success',
      stream: true,
      tokens: { host_in: 1500, cache: 700, host_out: 400, reasoning: 320 },
    });
    // The first element was read when it arrived, not when the array closed 5 pauses later.
    expect(line.ttft_ms as number).toBeLessThan((line.duration_ms as number) - 100);
    const scrape = await tg.scrape();
    expect(scrape.select('tollgate_time_to_first_token_seconds')).toHaveLength(1);
  });

  it('a gzip-compressed JSON array is metered from its decoded copy', async () => {
    const logged = tg.nextExchange();
    const { res } = await call(STREAM, BODY, { 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(sim.requests[0].headers['accept-encoding']).toBe('gzip');
    expect((await logged).tokens).toMatchObject({ host_in: 1500, host_out: 80 });
  });

  it('an array cut before its last chunk ends as incomplete; an error chunk as upstream_error', async () => {
    let logged = tg.nextExchange();
    await call(STREAM, BODY, { 'x-sim-scenario': 'premature_close' });
    expect((await logged).outcome).toBe('incomplete');

    logged = tg.nextExchange();
    await call(`${STREAM}?alt=sse`, BODY, { 'x-sim-scenario': 'error_event' });
    expect(await logged).toMatchObject({ outcome: 'upstream_error', error_type: 'error_event' });
  });
});

describe('other Gemini routes and errors', () => {
  it('lists models unmetered', async () => {
    const logged = tg.nextExchange();
    const res = await fetch(`${tg.url}/v1beta/models`, {
      headers: { 'x-goog-api-key': CLIENT_KEY },
    });
    expect((await res.json()).models[0].name).toMatch(/^models\/gemini-/);
    expect(await logged).toMatchObject({ route: '/v1beta/models', outcome: 'success' });
    expect((await tg.scrape()).select('tollgate_tokens_total')).toEqual([]);
  });

  it('refuses path tricks in the model segment, in Gemini shape, before any upstream call', async () => {
    for (const model of ['..%2F..%2Fadmin', 'a%2Fb', '%2E%2E', 'gemini%5C..']) {
      const { res, text } = await call(`/v1beta/models/${model}:generateContent`);
      expect(res.status, model).toBe(400);
      expect(JSON.parse(text), model).toEqual({
        error: { code: 400, message: expect.any(String), status: 'INVALID_ARGUMENT' },
      });
    }
    expect(sim.requests).toHaveLength(0);
  });

  it('a model no upstream serves is a 404 NOT_FOUND naming the model', async () => {
    const { res, text } = await call('/v1beta/models/claude-x:generateContent');
    expect(res.status).toBe(404);
    expect(JSON.parse(text)).toEqual({
      error: {
        code: 404,
        message: 'No upstream is configured for model "claude-x".',
        status: 'NOT_FOUND',
      },
    });
  });

  it('a missing client key is UNAUTHENTICATED', async () => {
    const res = await fetch(`${tg.url}${GENERATE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(BODY),
    });
    expect(res.status).toBe(401);
    expect((await res.json()).error.status).toBe('UNAUTHENTICATED');
  });
});
