import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { closedPort } from './support/closed-port.js';
import { openAiConfig, startGateway, type TestGateway } from './support/gateway.js';
import { OtlpReceiver, SpanKindCode, type ReceivedSpan } from './support/otlp-receiver.js';

/**
 * Traces as an operator's Collector receives them over OTLP: one SERVER span per request, one
 * CLIENT span per upstream attempt, context carried both ways, and nothing secret inside.
 */

// The SDK reads its batching delay from the environment: export quickly so tests wait little.
process.env.OTEL_BSP_SCHEDULE_DELAY = '20';

const ACCOUNT_KEY = 'sk-trace-account-SECRET-1234';
const CLIENT_KEY = 'ck-trace-client-SECRET-5678';
const PROMPT = 'a prompt that must never leave the gateway';
const IMAGE_TOOL = [{ type: 'image_generation', size: '1024x1024' }];

let sim: Simulator;
let receiver: OtlpReceiver;
let receiverUrl: string;
let tg: TestGateway | undefined;

beforeAll(async () => {
  sim = await startSimulator();
  receiver = new OtlpReceiver();
  receiverUrl = await receiver.start();
});
afterAll(async () => {
  await sim.close();
  await receiver.close();
});
afterEach(async () => {
  await tg?.close();
  tg = undefined;
  receiver.spans.length = 0;
  receiver.contentTypes.length = 0;
  receiver.requestHeaders.length = 0;
  sim.reset();
});

function config(accounts = [{ name: 'team-a', api_key: ACCOUNT_KEY }]) {
  return {
    ...openAiConfig(sim.url),
    upstreams: [{ name: 'openai', protocol: 'openai', base_url: sim.url, accounts }],
    clients: [{ name: 'ci-bot', key: CLIENT_KEY }],
  };
}

async function start(
  protocol: string,
  accounts?: { name: string; api_key: string }[],
  moreEnv: Record<string, string> = {},
) {
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    ...moreEnv,
  };
  tg = await startGateway(config(accounts), { env });
  return tg;
}

async function post(body: object, headers: Record<string, string> = {}) {
  const res = await fetch(`${tg!.url}/v1/responses`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${CLIENT_KEY}`,
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

/** Waits for the SERVER span of one exchange and its CLIENT spans. */
async function exchangeSpans(clients = 1) {
  const spans = await receiver.waitFor(
    (all) =>
      all.some((s) => s.kind === SpanKindCode.server) &&
      all.filter((s) => s.kind === SpanKindCode.client).length >= clients,
  );
  const server = spans.find((s) => s.kind === SpanKindCode.server)!;
  const attempts = spans.filter((s) => s.kind === SpanKindCode.client);
  return { server, attempts, spans };
}

const PARENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT_SPAN = 'b7ad6b7169203331';

describe.each(['http/protobuf', 'http/json'])('spans over OTLP %s', (protocol) => {
  it('a streamed image exchange: SERVER span under the caller, CLIENT span under it', async () => {
    await start(protocol);
    const traceparent = `00-${PARENT_TRACE}-${PARENT_SPAN}-01`;
    const body = { model: 'gpt-5.5', input: PROMPT, stream: true, tools: IMAGE_TOOL };
    const sent = Date.now();
    const { status } = await post(body, { traceparent, tracestate: 'vendor=1' });
    const answered = Date.now();
    expect(status).toBe(200);

    const { server, attempts } = await exchangeSpans();
    expect(receiver.contentTypes.at(-1)).toContain(protocol === 'http/json' ? 'json' : 'protobuf');

    // Parent and child links, and the context sent upstream.
    expect(server.traceId).toBe(PARENT_TRACE);
    expect(server.parentSpanId).toBe(PARENT_SPAN);
    expect(attempts).toHaveLength(1);
    const [attempt] = attempts;
    expect(attempt.traceId).toBe(PARENT_TRACE);
    expect(attempt.parentSpanId).toBe(server.spanId);
    expect(sim.requests[0].headers.traceparent).toBe(`00-${PARENT_TRACE}-${attempt.spanId}-01`);
    expect(sim.requests[0].headers.tracestate).toBe('vendor=1');
    expect([server.traceState, attempt.traceState]).toEqual(['vendor=1', 'vendor=1']);

    // The request began while the client waited, and the attempt lies within it. (Span starts
    // are read from the wall clock to the millisecond, so allow that much; the request's span
    // ends once it is metered, which may be after the client has its last byte.)
    expect(server.startMs).toBeGreaterThanOrEqual(sent - 2);
    expect(server.startMs).toBeLessThanOrEqual(answered + 2);
    expect(attempt.startMs).toBeGreaterThanOrEqual(server.startMs - 2);
    expect(attempt.endMs).toBeLessThanOrEqual(server.endMs + 2);
    expect(server.endMs).toBeGreaterThan(server.startMs);

    expect(server.name).toBe('POST /v1/responses');
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/responses',
      'http.response.status_code': 200,
      'url.path': '/v1/responses',
      'client.address': '127.0.0.1',
      'tollgate.account': 'team-a',
      'tollgate.client': 'ci-bot',
      'tollgate.outcome': 'success',
    });
    expect(attempt.name).toBe('chat gpt-5.5');
    expect(attempt.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-5.5',
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 320,
      'gen_ai.usage.output_tokens': 140,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.cache_creation.input_tokens': 0,
      'gen_ai.usage.reasoning.output_tokens': 0,
      'server.address': '127.0.0.1',
      'server.port': sim.port,
      'tollgate.account': 'team-a',
      'tollgate.client': 'ci-bot',
      'tollgate.outcome': 'success',
      'tollgate.image.outcome': 'success',
      'tollgate.image.reason': 'completed',
      'tollgate.image.input_tokens': 62,
      'tollgate.image.output_tokens': 1056,
      'http.response.status_code': 200,
    });
    expect(attempt.attributes['gen_ai.response.model']).toBe('gpt-5.5');
    expect(String(attempt.attributes['gen_ai.response.id'])).toMatch(/^resp_/);
    expect(attempt.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(attempt.status.code).toBe(0);
    expect(attempt.attributes['error.type']).toBeUndefined();

    // The exchange's log line names the trace.
    expect(tg!.exchanges()[0].trace_id).toBe(PARENT_TRACE);
  });
});

describe('failures and retries', () => {
  it('a retry is a second CLIENT span; the failover and cool-down are SERVER span events', async () => {
    const accounts = [
      { name: 'team-a', api_key: ACCOUNT_KEY },
      { name: 'team-b', api_key: `${ACCOUNT_KEY}-b` },
    ];
    await start('http/protobuf', accounts);
    sim.failNext({ status: 429, headers: { 'retry-after': '30' } });
    const { status } = await post({ model: 'gpt-5.5', input: PROMPT });
    expect(status).toBe(200);

    const { server, attempts } = await exchangeSpans(2);
    expect(attempts).toHaveLength(2);
    const [first, second] = attempts;
    expect(first.parentSpanId).toBe(server.spanId);
    expect(second.parentSpanId).toBe(server.spanId);
    expect(first.attributes).toMatchObject({
      'http.response.status_code': 429,
      'error.type': '429',
    });
    expect(first.status.code).toBe(2);
    expect(second.attributes).toMatchObject({ 'http.response.status_code': 200 });
    expect(second.status.code).toBe(0);
    expect(server.events.map((e) => e.name).sort()).toEqual([
      'tollgate.account.cooldown',
      'tollgate.failover',
    ]);
    const retried = sim.requests.map((r) => r.headers.traceparent);
    expect(retried[0]).toContain(first.spanId);
    expect(retried[1]).toContain(second.spanId);
  });

  it('a failed exchange sets ERROR with the error class on both spans', async () => {
    await start('http/protobuf');
    await post({ model: 'gpt-5.5', input: PROMPT, stream: true }, { 'x-sim-scenario': 'failed' });
    const { server, attempts } = await exchangeSpans();
    for (const span of [server, attempts[0]]) {
      expect(span.status).toEqual({ code: 2, message: 'response_failed' });
      expect(span.attributes['error.type']).toBe('response_failed');
      expect(span.attributes['tollgate.outcome']).toBe('upstream_error');
    }
  });

  it('Chat Completions, streamed or not, name the answering model and the completion', async () => {
    await start('http/protobuf');
    for (const stream of [false, true]) {
      receiver.spans.length = 0;
      const res = await fetch(`${tg!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
        body: JSON.stringify({
          model: 'gpt-5.5',
          messages: [{ role: 'user', content: PROMPT }],
          stream,
        }),
      });
      const text = await res.text();
      // What the client was told, from the body or from the stream's first chunk.
      const answer = JSON.parse(stream ? text.split('\n')[0].replace(/^data: /, '') : text);
      const { attempts } = await exchangeSpans();
      expect(attempts[0].attributes['gen_ai.response.id']).toBe(answer.id);
      expect(attempts[0].attributes['gen_ai.response.model']).toBe(answer.model);
      expect(answer.id).toMatch(/^chatcmpl-/);
    }
  });

  it('a rejected request still gets a SERVER span, and no CLIENT span', async () => {
    await start('http/protobuf');
    const res = await fetch(`${tg!.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const spans = await receiver.waitFor((all) => all.length > 0);
    expect(spans.map((s) => [s.kind, s.name])).toEqual([
      [SpanKindCode.server, 'POST /v1/responses'],
    ]);
    expect(spans[0].attributes['tollgate.client']).toBe('unauthenticated');
  });
});

describe('sampling and limits', () => {
  const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;
  const upstreamContext = (request: { headers: Record<string, string | string[] | undefined> }) =>
    TRACEPARENT.exec(String(request.headers.traceparent));

  it('by default follows the caller: an unsampled caller gets no spans, a sampled one does', async () => {
    await start('http/protobuf');
    const unsampled = '1bf7651916cd43dd8448eb211c80319c';
    await post(
      { model: 'gpt-5.5', input: 'hi' },
      { traceparent: `00-${unsampled}-${PARENT_SPAN}-00` },
    );
    await post(
      { model: 'gpt-5.5', input: 'hi' },
      { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` },
    );

    // Batches leave in the order spans end: had the first exchange been recorded, its spans
    // would be here by the time the second's are.
    const { spans } = await exchangeSpans();
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([PARENT_TRACE]));
    // The unsampled trace still went upstream, unsampled, and into the log line.
    const [first, second] = sim.requests.map(upstreamContext);
    expect([first?.[1], first?.[3]]).toEqual([unsampled, '00']);
    expect([second?.[1], second?.[3]]).toEqual([PARENT_TRACE, '01']);
    expect(tg!.exchanges().map((e) => e.trace_id)).toEqual([unsampled, PARENT_TRACE]);
  });

  it('OTEL_TRACES_SAMPLER=always_off records nothing but still propagates a trace', async () => {
    await start('http/protobuf', undefined, { OTEL_TRACES_SAMPLER: 'always_off' });
    expect((await post({ model: 'gpt-5.5', input: 'hi' })).status).toBe(200);
    const upstream = upstreamContext(sim.requests[0]);
    expect(upstream?.[3]).toBe('00');
    expect(tg!.exchanges()[0].trace_id).toBe(upstream?.[1]);

    await tg!.close(); // shutdown flushes whatever was recorded
    tg = undefined;
    expect(receiver.spans).toEqual([]);
  });

  it('OTEL_TRACES_SAMPLER=traceidratio with ratio 1 records a new trace', async () => {
    await start('http/json', undefined, {
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
    });
    await post({ model: 'gpt-5.5', input: 'hi' });
    const { server, attempts } = await exchangeSpans();
    expect(server.parentSpanId).toBeFalsy();
    expect(attempts[0].traceId).toBe(server.traceId);
    expect(sim.requests[0].headers.traceparent).toBe(
      `00-${server.traceId}-${attempts[0].spanId}-01`,
    );
  });

  it('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT cuts string values only', async () => {
    await start('http/protobuf', undefined, { OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '6' });
    await post({ model: 'gpt-5.5', input: 'hi' });
    const { server, attempts } = await exchangeSpans();
    expect(server.attributes).toMatchObject({
      'url.path': '/v1/re',
      'http.route': '/v1/re',
      'tollgate.client': 'ci-bot',
      'http.response.status_code': 200,
    });
    expect(attempts[0].attributes).toMatchObject({
      'gen_ai.request.model': 'gpt-5.',
      'gen_ai.usage.input_tokens': expect.any(Number),
      'gen_ai.request.stream': false,
    });
  });
});

describe('secrets', () => {
  it('no span carries an account key, a client key or prompt text', async () => {
    await start('http/json');
    await post({ model: 'gpt-5.5', input: PROMPT, stream: true, tools: IMAGE_TOOL });
    const { spans } = await exchangeSpans();
    const everything = JSON.stringify(spans satisfies ReceivedSpan[]);
    expect(everything).not.toContain(ACCOUNT_KEY);
    expect(everything).not.toContain(CLIENT_KEY);
    expect(everything).not.toContain(PROMPT);
  });
});

describe('the collector connection', () => {
  it('sends the OTEL_EXPORTER_OTLP_HEADERS and retries what the collector refuses for now', async () => {
    process.env.OTEL_EXPORTER_OTLP_TRACES_HEADERS = 'x-scope-orgid=team-7,x-note=a%20b';
    try {
      await start('http/protobuf');
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_TRACES_HEADERS;
    }
    receiver.refuseNext(
      { status: 503, headers: { 'retry-after': '0' } },
      { status: 429, headers: { 'retry-after': '0' } },
    );
    expect((await post({ model: 'gpt-5.5', input: 'hi' })).status).toBe(200);

    const { server, attempts } = await exchangeSpans();
    expect([server.name, attempts.length]).toEqual(['POST /v1/responses', 1]);
    const traces = receiver.requestHeaders.filter((_, i) =>
      receiver.contentTypes[i].startsWith('/v1/traces'),
    );
    expect(traces).toHaveLength(3);
    for (const headers of traces) {
      expect(headers).toMatchObject({
        'x-scope-orgid': 'team-7',
        'x-note': 'a b',
        'content-type': 'application/x-protobuf',
      });
    }
  });
});

describe('a dead collector', () => {
  it('changes nothing the client sees', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    tg = await startGateway(config(), { env: { OTEL_EXPORTER_OTLP_ENDPOINT: dead } });
    const traced = await post({ model: 'gpt-5.5', input: PROMPT });
    await tg.close();
    tg = await startGateway(config(), { env: {} });
    const plain = await post({ model: 'gpt-5.5', input: PROMPT });

    expect(traced.status).toBe(200);
    const shape = (text: string) => Object.keys(JSON.parse(text)).sort();
    expect(shape(traced.text)).toEqual(shape(plain.text));
    expect(tg.exchanges()[0]).toMatchObject({ outcome: 'success' });
  });
});

describe('metrics over OTLP', () => {
  it('pushes the same instruments when OTEL_METRICS_EXPORTER=otlp, cumulatively', async () => {
    tg = await startGateway(config(), {
      env: {
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_METRIC_EXPORT_INTERVAL: '100',
      },
    });
    await post({ model: 'gpt-5.5', input: PROMPT });
    const requests = await waitForMetric('tollgate.requests');
    expect(requests.sum.isMonotonic).toBe(true);
    expect(requests.sum.aggregationTemporality).toBe(2); // cumulative
    const tokens = await waitForMetric('tollgate.tokens');
    expect(tokens.unit).toBe('{token}');
    const duration = await waitForMetric('tollgate.request.duration.seconds');
    expect(duration.unit).toBe('s');
  });
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function waitForMetric(name: string): Promise<Json> {
  for (;;) {
    for (const batch of receiver.metricBatches as Json[]) {
      for (const rm of batch.resourceMetrics ?? []) {
        for (const sm of rm.scopeMetrics ?? []) {
          const found = (sm.metrics ?? []).find((m: Json) => m.name === name);
          if (found) return found;
        }
      }
    }
    await receiver.next();
  }
}
