import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { Exchange } from '../src/exchange.js';
import type { Meter } from '../src/meter.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { postJson } from './support/raw-http.js';
import { KEYS, send, STREAM_CALLS, threeUpstreams } from './support/three-upstreams.js';

/**
 * Clients that misbehave: one that leaves in the middle of a large image event, one that reads
 * far slower than the upstream writes, absurd and countless model names, path tricks in the
 * Gemini model segment, and credentials or hop-by-hop headers meant to reach the upstream.
 */

let sim: Simulator;
let tg: TestGateway;

beforeAll(async () => {
  sim = await startSimulator({ compress: false });
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.reset();
  tg = await startGateway(threeUpstreams(sim));
});
afterEach(async () => {
  // A leaked in-flight count would quietly steer later requests away from an account.
  await vi.waitFor(() =>
    expect(tg.gateway.pool.all().map((a) => a.inFlight)).toEqual([0, 0, 0, 0]),
  );
  await tg.close();
});

const [responses, , anthropic, gemini] = STREAM_CALLS;
const IMAGE_CALL = {
  ...responses,
  body: { ...responses.body, tools: [{ type: 'image_generation', size: '1536x1024' }] },
};

/** A streaming image request through node:http, whose response the test reads at will. */
function imageRequest(simHeaders: Record<string, string>) {
  const req = http.request(`${tg.url}${IMAGE_CALL.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...IMAGE_CALL.headers, ...simHeaders },
  });
  req.on('error', () => {}); // the test itself may tear the connection down
  req.end(JSON.stringify(IMAGE_CALL.body));
  return req;
}

/** Bytes the simulator has handed to its socket for the request in flight. */
function upstreamSent(): number {
  return (sim.requests[0]?.sent ?? []).reduce((n, chunk) => n + chunk.length, 0);
}

async function expectHealthy(): Promise<void> {
  const res = await send(tg.url, responses);
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('response.completed');
}

describe('a client that leaves during a 4 MB image event', () => {
  it('ends as client_aborted with a failed image and frees the upstream', async () => {
    const logged = tg.nextExchange();
    const req = imageRequest({
      'x-sim-image-bytes': String(4 * 1024 * 1024),
      'x-sim-chunk-bytes': String(64 * 1024),
      'x-sim-delay-ms': '5',
    });
    req.on('response', (res) => {
      let got = 0;
      res.on('data', (chunk: Buffer) => {
        got += chunk.length;
        if (got > 1024 * 1024) req.destroy();
      });
    });

    const line = await logged;
    expect(line).toMatchObject({
      outcome: 'client_aborted',
      status: '200',
      image_outcome: 'failed',
      image_reason: 'client_aborted',
    });
    expect(line.tokens).toMatchObject({ image_out: 0 });
    // The upstream connection was dropped too: the simulator never finished the answer.
    expect(sim.reported.image_out).toBe(0);
    expect(upstreamSent()).toBeLessThan(4 * 1024 * 1024);
    await expectHealthy();
  });
});

describe('clients that hang up as soon as their request is sent', () => {
  const body = JSON.stringify(responses.body);

  /** The raw head of a Responses request whose whole body is `body`. */
  const requestHead = (...extra: string[]) =>
    [
      `POST ${responses.path} HTTP/1.1`,
      `host: ${new URL(tg.url).host}`,
      'content-type: application/json',
      ...Object.entries(responses.headers).map(([name, value]) => `${name}: ${value}`),
      ...extra,
      `content-length: ${Buffer.byteLength(body)}`,
    ].join('\r\n');

  it('each exchange still ends, as client_aborted, and nothing stays in flight', async () => {
    // The connection may close before, while or after the gateway reads the request: every
    // moment must end the exchange. Many at once make every moment likely.
    const count = 30;
    const head = requestHead('x-sim-delay-ms: 20');
    for (let i = 0; i < count; i++) {
      const socket = net.connect(Number(new URL(tg.url).port), '127.0.0.1');
      socket.on('error', () => {});
      socket.end(`${head}\r\n\r\n${body}`, () => socket.destroy());
    }

    while (tg.exchanges().length < count) await tg.nextExchange();
    expect(tg.exchanges().every((line) => line.outcome === 'client_aborted')).toBe(true);
    const scrape = await tg.scrape();
    expect(scrape.sum('tollgate_requests_active')).toBe(0);
    await expectHealthy();
  });

  it('one that hangs up halfway through its body ends as client_aborted, never reaching upstream', async () => {
    const head = requestHead();
    const before = tg.exchanges().length;
    const socket = net.connect(Number(new URL(tg.url).port), '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`${head}\r\n\r\n${body.slice(0, body.length >> 1)}`, () => socket.destroy());

    while (tg.exchanges().length <= before) await tg.nextExchange();
    expect(tg.exchanges().at(-1)).toMatchObject({
      outcome: 'client_aborted',
      status: '499',
      attempts: 0,
    });
    expect((await tg.scrape()).sum('tollgate_requests_active')).toBe(0);
    await expectHealthy();
  });
});

describe('a slow reader', () => {
  it('holds the fast upstream back instead of buffering its answer', async () => {
    const total = 32 * 1024 * 1024;
    const logged = tg.nextExchange();
    const req = imageRequest({
      'x-sim-image-bytes': String(total),
      'x-sim-chunk-bytes': String(256 * 1024),
    });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    res.pause();

    // Step 1: with nobody reading, the upstream's writes stop well short of the answer.
    let last = -1;
    let steady = 0;
    await vi.waitFor(
      () => {
        const sent = upstreamSent();
        steady = sent === last ? steady + 1 : 0;
        last = sent;
        expect(steady).toBeGreaterThanOrEqual(3);
      },
      { timeout: 10_000, interval: 100 },
    );
    const heldBack = last;
    console.log(`slow reader: upstream held at ${(heldBack / 2 ** 20).toFixed(1)} MiB of 32 MiB`);
    // What sits in the socket buffers of both hops (several MiB on loopback), not the answer.
    expect(heldBack).toBeLessThan(total / 2);

    // Step 2: once the client reads, the whole answer arrives and is metered.
    let received = 0;
    res.on('data', (chunk: Buffer) => (received += chunk.length));
    res.resume();
    await new Promise((resolve) => res.on('end', resolve));
    expect(received).toBeGreaterThan(total);
    expect(await logged).toMatchObject({ outcome: 'success', image_outcome: 'success' });
  });
});

describe('model names', () => {
  it('a 10 kB model name is served but labelled other, and the log line stays small', async () => {
    const model = 'm'.repeat(10 * 1024);
    const logged = tg.nextExchange();
    const answer = await postJson(
      tg.url,
      '/v1/embeddings',
      { model, input: 'x' },
      { authorization: `Bearer ${KEYS.client}` },
    );
    expect(answer.status).toBe(200);
    const line = await logged;
    expect(line).toMatchObject({ model: 'other', outcome: 'success' });
    expect(JSON.stringify(line).length).toBeLessThan(2048);
    const series = (await tg.scrape()).select('tollgate_requests_total');
    expect(series.map((s) => s.labels.model)).toEqual(['other']);
  });

  it('10,000 distinct names keep the series count bounded; the rest are other', async () => {
    // Step 1: a few hundred through HTTP, over a handful of kept-alive connections.
    const viaHttp = Array.from({ length: 300 }, (_, i) => `made-up-model-${i}`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    try {
      const statuses = await Promise.all(viaHttp.map((model) => embed(model, agent)));
      expect(new Set(statuses)).toEqual(new Set([200]));
    } finally {
      agent.destroy();
    }

    // Step 2: ten thousand more straight through the gateway's meter; HTTP would be too slow.
    const meter = (tg.gateway as unknown as { meter: Meter }).meter;
    for (let i = 0; i < 10_000; i++) meter.finished(finishedExchange(meter, `invented-${i}`));

    const scrape = await tg.scrape();
    const requests = scrape.select('tollgate_requests_total');
    const models = new Set(requests.map((s) => s.labels.model));
    // The first 50 names seen keep theirs; every other name shares one `other` series.
    expect(models.size).toBe(51);
    const sum = (series: typeof requests) => series.reduce((n, s) => n + s.value, 0);
    expect(sum(requests)).toBe(10_300);
    expect(sum(requests.filter((s) => s.labels.model === 'other'))).toBe(10_250);
    for (const name of ['tollgate_tokens_total', 'tollgate_request_duration_seconds_count']) {
      expect(new Set(scrape.select(name).map((s) => s.labels.model)).size, name).toBe(51);
    }
  });
});

/** One embeddings call on a shared agent; resolves with its status. */
function embed(model: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${tg.url}/v1/embeddings`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.client}` },
    });
    req.on('response', (res) => res.resume().on('end', () => resolve(res.statusCode!)));
    req.on('error', reject);
    req.end(JSON.stringify({ model, input: 'x' }));
  });
}

/** An exchange as the handler leaves it after a successful embeddings call. */
function finishedExchange(meter: Meter, model: string): Exchange {
  const exchange = new Exchange(undefined);
  Object.assign(exchange, {
    route: '/v1/embeddings',
    model,
    client: 'ci-bot',
    account: 'openai-a',
    metered: true,
    operation: 'embeddings',
    statusCode: 200,
  });
  meter.started(exchange);
  exchange.usage.host_in = 3;
  exchange.end('success');
  return exchange;
}

describe('the Gemini model segment', () => {
  it.each([
    ['raw dot segments', '/v1beta/models/../../admin:generateContent'],
    ['a double-encoded slash', '/v1beta/models/a%252F..%252Fb:generateContent'],
    ['an encoded question mark', '/v1beta/models/gemini-x%3Fkey=1:generateContent'],
    ['an encoded colon and dots', '/v1beta/models/%2E%2E%3Agenerate:generateContent'],
    ['a NUL byte', '/v1beta/models/gemini%00x:generateContent'],
  ])('refuses %s before any upstream call, or keeps it in its segment', async (_, path) => {
    const res = await fetch(`${tg.url}${path}`.replace('/../../', '/%2E%2E/%2E%2E/'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...gemini.headers },
      body: JSON.stringify(gemini.body),
    });
    await res.text();
    expect(res.status).toBeGreaterThanOrEqual(400);
    // Whatever reached the upstream stayed one segment under /v1beta/models/.
    for (const request of sim.requests) {
      expect(request.path).toMatch(/^\/v1beta\/models\/[^/]+$/);
    }
  });
});

describe('credentials and hop-by-hop headers from the client', () => {
  it.each([
    ['Anthropic', anthropic, 'x-api-key', KEYS.anthropic],
    ['Gemini', gemini, 'x-goog-api-key', KEYS.gemini],
    ['OpenAI', responses, 'authorization', `Bearer ${KEYS.openaiA}`],
  ] as const)(
    '%s: the account key goes up, never a client credential',
    async (_, call, header, value) => {
      const res = await send(tg.url, call, {
        authorization: `Bearer ${KEYS.client}`,
        'x-api-key': KEYS.client,
        'x-goog-api-key': KEYS.client,
        // A client naming the credential header as hop-by-hop must not strip the account's key.
        connection: `keep-alive, ${header}, authorization`,
        'proxy-authorization': `Bearer ${KEYS.client}`,
      });
      expect(res.status).toBe(200);
      await res.text();
      const [request] = sim.requests;
      // OpenAI has two accounts and takes turns; either key is right, never the client's.
      expect(request.headers[header]).toBe(
        header === 'authorization' && request.apiKey === KEYS.openaiB
          ? `Bearer ${KEYS.openaiB}`
          : value,
      );
      expect(JSON.stringify(request.headers)).not.toContain(KEYS.client);
      expect(request.path).not.toContain(KEYS.client);
      if (header !== 'authorization') expect(request.headers.authorization).toBeUndefined();
    },
  );
});
