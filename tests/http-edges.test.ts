import http, { type OutgoingHttpHeaders } from 'node:http';
import zlib from 'node:zlib';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_USAGE, startSimulator, type Simulator } from '../simulator/index.js';
import { postJson, send, type Answer } from './support/raw-http.js';
import { startTcpRelay, type TcpRelay } from './support/tcp-relay.js';
import { openAiConfig, startGateway, type TestGateway } from './support/gateway.js';

const ACCOUNT_KEY = 'sk-test-team-a-0001';
const CLIENT_KEY = 'ck-ci-bot-123456';
const RESPONSES = { model: 'gpt-4.1', input: 'Say hello.' };
/** What the simulator reports for a text answer, in Tollgate's token kinds. */
const { host_in, host_out, cache } = DEFAULT_USAGE.text!;
const TEXT_TOKENS = { host_in, host_out, cache };

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());

/** A fresh gateway for every test, so each scrape and log holds that test's exchanges only. */
function gatewayPerTest(config: () => unknown): () => TestGateway {
  let tg: TestGateway | undefined;
  beforeEach(async () => {
    sim.reset();
    tg = await startGateway(config());
  });
  afterEach(() => tg?.close());
  return () => tg!;
}

/** The `tollgate_requests_total` series of the gateway's scrape: labels and value. */
async function requestsCounted(tg: TestGateway) {
  const series = (await tg.scrape()).select('tollgate_requests_total');
  return series.map(({ labels, value }) => ({ labels, value }));
}

/** One metric of the scrape as `{label value: sample value}`, e.g. tokens by token kind. */
async function byLabel(tg: TestGateway, name: string, label: string) {
  const series = (await tg.scrape()).select(name);
  return Object.fromEntries(series.map((s) => [s.labels[label], s.value]));
}
const tokensByKind = (tg: TestGateway) => byLabel(tg, 'tollgate_tokens_total', 'token_kind');
const activeByRoute = (tg: TestGateway) => byLabel(tg, 'tollgate_requests_active', 'route');

/** One expected `tollgate_requests_total` series; unnamed labels take a rejection's values. */
function counted(labels: Record<string, string>) {
  const rejection = { model: 'unknown', account: 'none', client: 'anonymous', outcome: 'rejected' };
  return { labels: { route: '/v1/responses', ...rejection, ...labels }, value: 1 };
}

/** Asserts a refusal in OpenAI's error shape, which the SDKs map to their exception classes. */
function expectOpenAiError(answer: Answer, status: number, code: string, message?: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(answer.headers['x-tollgate-request-id']).toEqual(expect.any(String));
  expect(JSON.parse(answer.body.toString())).toEqual({
    error: {
      message: message ?? expect.any(String),
      type: 'invalid_request_error',
      param: null,
      code,
    },
  });
}

describe('bad input is refused in the OpenAI error shape and counted as rejected', () => {
  const gw = gatewayPerTest(() => openAiConfig(sim.url, { limits: { max_body_bytes: 1024 } }));
  const tooBig = JSON.stringify({ ...RESPONSES, input: 'x'.repeat(2000) });

  it.each([
    ['invalid JSON', '{"model": "gpt-4.1",', 'The request body is not valid JSON.'],
    ['a JSON array', '[{"model": "gpt-4.1"}]', 'The request body must be a JSON object.'],
  ])('answers %s with 400', async (_, body, message) => {
    const answer = await postJson(gw().url, '/v1/responses', body);

    expectOpenAiError(answer, 400, 'invalid_json', message);
    expect(await requestsCounted(gw())).toEqual([counted({ status_code: '400' })]);
    expect(sim.requests).toEqual([]);
  });

  it('answers a body that is not JSON by its content type with 415', async () => {
    const headers = { 'content-type': 'text/plain' };
    const answer = await postJson(gw().url, '/v1/responses', RESPONSES, headers);

    expectOpenAiError(answer, 415, 'unsupported_content_type');
    expect(await requestsCounted(gw())).toEqual([counted({ status_code: '415' })]);
  });

  it.each([
    ['declared in content-length', Buffer.from(tooBig)],
    ['sent chunked', [Buffer.from(tooBig.slice(0, 800)), Buffer.from(tooBig.slice(800))]],
  ])('answers a body over limits.max_body_bytes %s with 413', async (_, body) => {
    const headers = { 'content-type': 'application/json' };
    const answer = await send(gw().url, '/v1/responses', { method: 'POST', headers, body });

    const message = 'Request body is larger than the limit of 1024 bytes.';
    expectOpenAiError(answer, 413, 'body_too_large', message);
    expect(await requestsCounted(gw())).toEqual([counted({ status_code: '413' })]);
    expect(sim.requests).toEqual([]);
  });

  it('answers a path outside every route with 404 under the route label "unmatched"', async () => {
    const answer = await send(gw().url, '/v2/responses');

    expectOpenAiError(answer, 404, 'unknown_route', 'Unknown route: GET /v2/responses');
    expect(await requestsCounted(gw())).toEqual([
      counted({ route: 'unmatched', status_code: '404' }),
    ]);
  });
});

describe('model routing', () => {
  const gw = gatewayPerTest(() => {
    const config = openAiConfig(sim.url);
    return { ...config, upstreams: [{ ...config.upstreams[0], models: ['gpt-*', 'o4-*'] }] };
  });

  it('answers a model no upstream serves with 404 naming the model', async () => {
    const answer = await postJson(gw().url, '/v1/responses', { ...RESPONSES, model: 'claude-9' });

    const message = 'No upstream is configured for model "claude-9".';
    expectOpenAiError(answer, 404, 'no_upstream', message);
    expect(await requestsCounted(gw())).toEqual([
      counted({ model: 'claude-9', status_code: '404' }),
    ]);
    expect(sim.requests).toEqual([]);
  });
});

describe('client keys', () => {
  const gw = gatewayPerTest(() =>
    openAiConfig(sim.url, { clients: [{ name: 'ci-bot', key: CLIENT_KEY }] }),
  );
  const sdk = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${gw().url}/v1`, maxRetries: 0 });

  it.each([
    ['a missing key', {}],
    ['a wrong key', { authorization: 'Bearer ck-not-a-client-key' }],
  ])('answers %s with 401 and counts the client as unauthenticated', async (_, headers) => {
    const answer = await postJson(gw().url, '/v1/responses', RESPONSES, headers);

    expectOpenAiError(answer, 401, 'invalid_client_key', 'Missing or invalid client key.');
    expect(await requestsCounted(gw())).toEqual([
      counted({ client: 'unauthenticated', status_code: '401' }),
    ]);
    expect(sim.requests).toEqual([]);
  });

  it('gives the official SDK an AuthenticationError for a wrong key', async () => {
    const request = sdk('ck-wrong-key-000').responses.create(RESPONSES);

    await expect(request).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(request).rejects.toMatchObject({ status: 401, code: 'invalid_client_key' });
  });

  it('names the client of a valid Bearer key, and sends the account key upstream', async () => {
    const response = await sdk(CLIENT_KEY).responses.create(RESPONSES);

    expect(response.status).toBe('completed');
    expect(await requestsCounted(gw())).toEqual([
      counted({
        model: 'gpt-4.1',
        account: 'team-a',
        client: 'ci-bot',
        outcome: 'success',
        status_code: '200',
      }),
    ]);
    expect(sim.requests.map((r) => r.apiKey)).toEqual([ACCOUNT_KEY]);
  });
});

describe('headers going up', () => {
  const gw = gatewayPerTest(() => openAiConfig(sim.url));

  it('drops hop-by-hop, forwarding and credential headers, and sets the account key', async () => {
    const dropped = {
      'x-hop-note': 'named in Connection',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      upgrade: 'h2c',
      'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
      'x-forwarded-for': '10.0.0.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'gateway.internal',
      forwarded: 'for=10.0.0.7;proto=https',
      cookie: 'session=abc',
      'x-api-key': 'sk-client-anthropic-key',
      'x-goog-api-key': 'client-gemini-key',
    };
    const passed = { 'openai-beta': 'responses=v1', 'x-custom': 'kept' };
    const answer = await postJson(gw().url, '/v1/responses', RESPONSES, {
      ...dropped,
      ...passed,
      connection: 'keep-alive, x-hop-note',
      authorization: 'Bearer sk-client-own-key',
      'accept-encoding': 'gzip, deflate, br, zstd',
    });

    expect(answer.status).toBe(200);
    const [{ headers: up }] = sim.requests;
    for (const name of Object.keys(dropped)) expect(up, name).not.toHaveProperty(name);
    // Undici opens its own connection to the upstream and may say so; the client's never passes.
    expect(up.connection ?? '').not.toContain('x-hop-note');
    expect(up).toMatchObject({
      ...passed,
      authorization: `Bearer ${ACCOUNT_KEY}`,
      'accept-encoding': 'gzip, deflate, br',
      host: `127.0.0.1:${sim.port}`,
    });
  });

  it('drops an accept-encoding that offers only what Tollgate cannot decode', async () => {
    const answer = await postJson(gw().url, '/v1/responses', RESPONSES, {
      'accept-encoding': 'zstd',
    });

    expect(answer.status).toBe(200);
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(sim.requests[0].headers).not.toHaveProperty('accept-encoding');
  });
});

describe('headers coming down', () => {
  const gw = gatewayPerTest(() => openAiConfig(sim.url));

  it("passes the upstream's headers and adds the client's plain request id", async () => {
    const answer = await postJson(gw().url, '/v1/responses', RESPONSES, {
      'x-request-id': 'trace-42.a:b',
    });

    expect(answer.headers).toMatchObject({
      'content-type': 'application/json',
      'x-request-id': expect.stringMatching(/^req_[0-9a-f]{32}$/),
      'openai-processing-ms': expect.stringMatching(/^\d+$/),
      'openai-version': '2020-10-01',
      'x-ratelimit-limit-requests': '10000',
      'x-ratelimit-remaining-requests': expect.stringMatching(/^\d+$/),
      'x-ratelimit-reset-requests': '6ms',
      'x-ratelimit-limit-tokens': '30000000',
      'x-ratelimit-remaining-tokens': '29998000',
      'x-ratelimit-reset-tokens': '4ms',
      'x-tollgate-request-id': 'trace-42.a:b',
    });
    expect(gw().exchanges()).toMatchObject([
      { request_id: 'trace-42.a:b', upstream_request_id: answer.headers['x-request-id'] },
    ]);
  });

  it('drops hop-by-hop headers of the answer, including those its Connection header names', async () => {
    sim.failNext({
      status: 200,
      headers: { connection: 'keep-alive, x-hop-only', 'x-hop-only': '1', 'x-kept': '2' },
      body: { data: [] },
    });
    const answer = await send(gw().url, '/v1/models');

    expect(answer.status).toBe(200);
    expect(answer.headers['x-kept']).toBe('2');
    expect(answer.headers['x-hop-only']).toBeUndefined();
  });

  it('generates a request id when the client sent none or one that is not plain', async () => {
    const bare = await postJson(gw().url, '/v1/responses', RESPONSES);
    const odd = await postJson(gw().url, '/v1/responses', RESPONSES, {
      'x-request-id': 'has spaces; and {braces}',
    });

    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const ids = [bare, odd].map((a) => a.headers['x-tollgate-request-id']);
    expect(ids).toEqual([expect.stringMatching(uuid), expect.stringMatching(uuid)]);
    expect(ids[0]).not.toBe(ids[1]);
    const logged = gw().exchanges();
    expect(logged.map((line) => line.request_id)).toEqual(ids);
  });
});

describe('pass-through routes', () => {
  const gw = gatewayPerTest(() => openAiConfig(sim.url));

  /** The series a pass-through request adds: counted, with no model. */
  const passedThrough = (route: string) =>
    counted({ route, account: 'team-a', outcome: 'success', status_code: '200' });

  it('relays GET /v1/models byte for byte, counted without a model or tokens', async () => {
    const direct = await send(sim.url, '/v1/models', { headers: { authorization: 'Bearer sk' } });
    const answer = await send(gw().url, '/v1/models');

    expect(answer.status).toBe(200);
    expect(answer.body.equals(direct.body)).toBe(true);
    expect(await requestsCounted(gw())).toEqual([passedThrough('/v1/models')]);
    expect(await tokensByKind(gw())).toEqual({});
  });

  it('relays any other /v1 path with a binary body unchanged both ways', async () => {
    const boundary = '----tollgate-edge';
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\n`),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const type = `multipart/form-data; boundary=${boundary}`;
    const headers = { 'content-type': type };
    const answer = await send(gw().url, '/v1/echo', { method: 'POST', headers, body });

    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(type);
    expect(answer.body.equals(body)).toBe(true);
    expect(sim.requests[0].body.equals(body)).toBe(true);
    expect(sim.requests[0].path).toBe('/v1/echo');
    expect(await requestsCounted(gw())).toEqual([passedThrough('/v1/*')]);
    expect(await tokensByKind(gw())).toEqual({});
  });

  it.each(['/v1/../x', '/v1/%2e%2e/x', '/v1/files/..%2F..%2Fadmin'])(
    'refuses the dot segments of %s with 400',
    async (path) => {
      const answer = await send(gw().url, path);

      expectOpenAiError(answer, 400, 'invalid_path');
      expect(await requestsCounted(gw())).toEqual([
        counted({ route: '/v1/*', status_code: '400' }),
      ]);
      expect(sim.requests).toEqual([]);
    },
  );
});

/** The event names of a Responses SSE body. */
const eventNames = (sse: string) => [...sse.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);

const DECODE = { gzip: zlib.gunzipSync, deflate: zlib.inflateSync, br: zlib.brotliDecompressSync };

describe.each(['gzip', 'deflate', 'br'] as const)('a %s-compressed upstream', (encoding) => {
  let compressing: Simulator;
  beforeAll(async () => {
    compressing = await startSimulator({ encodings: [encoding] });
  });
  afterAll(() => compressing.close());
  const gw = gatewayPerTest(() => openAiConfig(compressing.url));

  it('streams its bytes to the client as they came, and meters the decoded copy', async () => {
    const stream = { ...RESPONSES, stream: true };
    const headers = { 'accept-encoding': 'gzip, deflate, br' };
    const answer = await postJson(gw().url, '/v1/responses', stream, headers);

    expect(answer.status).toBe(200);
    expect(answer.headers['content-encoding']).toBe(encoding);
    const events = eventNames(DECODE[encoding](answer.body).toString());
    expect(events[0]).toBe('response.created');
    expect(events.filter((e) => e === 'response.output_text.delta')).toHaveLength(5);
    expect(events.at(-1)).toBe('response.completed');

    expect(compressing.reported).toMatchObject(TEXT_TOKENS);
    expect(await tokensByKind(gw())).toEqual(TEXT_TOKENS);
    const { labels } = (await gw().scrape()).one('tollgate_tokens_total', { token_kind: 'cache' });
    const exchange = { route: '/v1/responses', model: 'gpt-4.1', account: 'team-a' };
    expect(labels).toEqual({ ...exchange, client: 'anonymous', token_kind: 'cache' });
  });
});

describe('protocol routes, however the path is written', () => {
  const gw = gatewayPerTest(() => openAiConfig(sim.url));

  // An origin-form path is dispatched straight from node:http, the absolute form by Koa's
  // router: a client sees the same answer, and an operator the same route label, either way.
  it.each([
    ['the exact path', '/v1/responses'],
    ['a query string', '/v1/responses?trace=1'],
    ['the absolute form', 'http://tollgate.test/v1/responses'],
  ])('serves %s as /v1/responses', async (_, path) => {
    const answer = await send(gw().url, path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(RESPONSES),
    });

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ object: 'response' });
    expect(await requestsCounted(gw())).toEqual([
      counted({ account: 'team-a', model: 'gpt-4.1', outcome: 'success', status_code: '200' }),
    ]);
    expect(await tokensByKind(gw())).toEqual(TEXT_TOKENS);
  });
});

describe('a chat stream whose usage chunk Tollgate hides', () => {
  const gw = gatewayPerTest(() => openAiConfig(sim.url));

  it('is asked for uncompressed, so its events can be cut apart', async () => {
    const chat = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'Hi' }], stream: true };
    const answer = await postJson(gw().url, '/v1/chat/completions', chat, {
      'accept-encoding': 'gzip, deflate, br',
    });

    expect(sim.requests[0].headers['accept-encoding']).toBe('identity');
    expect(sim.requests[0].json).toMatchObject({ stream_options: { include_usage: true } });
    expect(answer.headers['content-encoding']).toBeUndefined();
    const text = answer.body.toString();
    expect(text).not.toContain('"usage":{');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(await tokensByKind(gw())).toEqual(TEXT_TOKENS);
  });
});

describe('a client that leaves', () => {
  // The relay shows the upstream connection closing: the gateway must abort the attempt.
  let relay: TcpRelay;
  beforeAll(async () => {
    relay = await startTcpRelay({ host: '127.0.0.1', port: sim.port });
  });
  afterAll(() => relay.close());
  const gw = gatewayPerTest(() => openAiConfig(relay.url));

  /** Sends a Responses request; the test destroys it to leave mid-way. */
  function leavingRequest(body: object, headers: OutgoingHttpHeaders = {}) {
    const req = http.request(gw().url, {
      method: 'POST',
      path: '/v1/responses',
      headers: { 'content-type': 'application/json', ...headers },
    });
    req.on('error', () => {}); // the client itself tears the connection down
    req.end(JSON.stringify(body));
    return req;
  }

  const aborted = (status_code: string) =>
    counted({ model: 'gpt-4.1', account: 'team-a', outcome: 'client_aborted', status_code });

  it('mid-stream ends as client_aborted with the 200 already sent', async () => {
    const upstream = relay.nextConnection();
    const ended = gw().nextExchange();
    const req = leavingRequest({ ...RESPONSES, stream: true }, { 'x-sim-delay-ms': '60000' });
    req.on('response', (res) => res.once('data', () => req.destroy()));

    const [line, connection] = await Promise.all([ended, upstream]);
    await connection.closed;
    expect(line).toMatchObject({ outcome: 'client_aborted', status: '200', account: 'team-a' });
    expect(await requestsCounted(gw())).toEqual([aborted('200')]);
    expect(await activeByRoute(gw())).toEqual({ '/v1/responses': 0 });
  });

  it('before the upstream answered ends as client_aborted with status 499', async () => {
    sim.failNext({ kind: 'hang' });
    const upstream = relay.nextConnection();
    const ended = gw().nextExchange();
    const req = leavingRequest(RESPONSES);

    const connection = await upstream;
    req.destroy();
    const line = await ended;
    await connection.closed;
    expect(line).toMatchObject({ outcome: 'client_aborted', status: '499', account: 'team-a' });
    expect(await requestsCounted(gw())).toEqual([aborted('499')]);
    expect(await activeByRoute(gw())).toEqual({ '/v1/responses': 0 });
    // The cancelled attempt is no upstream failure: it carries the client's 499, not `error`.
    const attempts = (await gw().scrape()).select('tollgate_upstream_attempts_total');
    expect(attempts).toEqual([{ labels: { account: 'team-a', status_code: '499' }, value: 1 }]);
  });
});

describe('operator endpoints', () => {
  const gw = gatewayPerTest(() => openAiConfig(sim.url));

  it('answers GET /health with JSON, without counting it as an exchange', async () => {
    const answer = await send(gw().url, '/health');

    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body.toString())).toEqual({ status: 'ok', accounts: 1, available: 1 });
    expect(await requestsCounted(gw())).toEqual([]);
  });

  it('serves GET /metrics in the Prometheus text format', async () => {
    await send(gw().url, '/v1/models');
    const answer = await send(gw().url, '/metrics');

    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain/);
    const text = answer.body.toString();
    expect(text).toContain('# TYPE tollgate_requests_total counter\n');
    expect(text).toMatch(/^tollgate_requests_total\{route="\/v1\/models",.*\} 1$/m);
  });
});
