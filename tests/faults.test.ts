import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type TokenTotals } from '../simulator/index.js';
import { startGateway, type LogLine, type TestGateway } from './support/gateway.js';
import {
  readAll,
  send,
  STREAM_CALLS,
  threeUpstreams,
  type Call,
} from './support/three-upstreams.js';

/**
 * Upstream faults after the headers, in every streaming protocol: spoiled framing, events cut
 * anywhere, garbage, repeated or missing terminal events, error bodies, resets and stalls. Each
 * ends in the right outcome with the tokens the simulator reported, the client gets the
 * upstream's bytes (or sees the break), and the next request through the gateway succeeds.
 */

let sim: Simulator;
let tg: TestGateway;

// Uncompressed, so the client's bytes can be compared with what the simulator wrote.
beforeAll(async () => {
  sim = await startSimulator({ compress: false });
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.reset();
  tg = await startGateway(
    threeUpstreams(sim, {
      timeouts: { connect_seconds: 2, headers_seconds: 2, idle_seconds: 0.25 },
    }),
  );
});
afterEach(() => tg.close());

/** Everything the simulator wrote for the last request it answered. */
function lastSent(): Buffer {
  return Buffer.concat(sim.requests.at(-1)!.sent);
}

/** The simulator's reported usage, in the token kinds it tracks (all but `cache_write`), to
 * match against a log line's `tokens`. */
function reportedTokens(): TokenTotals {
  return { ...sim.reported };
}

const NO_TOKENS = {
  host_in: 0,
  host_out: 0,
  cache: 0,
  cache_write: 0,
  reasoning: 0,
  image_in: 0,
  image_out: 0,
};

/** One exchange: its log line and what the client received. */
async function exchange(call: Call, simHeaders: Record<string, string> = {}) {
  const logged = tg.nextExchange();
  const res = await send(tg.url, call, simHeaders);
  const read = await readAll(res);
  return { res, read, line: await logged };
}

/** The gateway still serves the same call cleanly, and no exchange is left active. */
async function expectHealthy(call: Call): Promise<void> {
  sim.reset();
  const { res, line } = await exchange(call);
  expect(res.status).toBe(200);
  expect(line).toMatchObject({ outcome: 'success', tokens: reportedTokens() });
  const active = (await tg.scrape()).select('tollgate_requests_active');
  expect(active.every((s) => s.value === 0)).toBe(true);
}

/**
 * The tokens of a stream cut short: OpenAI states usage only in its terminal event, so none;
 * Anthropic states the prompt in `message_start` and Gemini restates running totals in every
 * chunk, so what was read before the cut counts, and no more output than a whole answer has.
 */
function expectPartialTokens(call: Call, line: LogLine): void {
  const tokens = line.tokens as typeof NO_TOKENS;
  if (call.path.startsWith('/v1/messages') || call.path.startsWith('/v1beta/')) {
    expect(tokens.host_in).toBeGreaterThan(0);
    expect(tokens.host_out).toBeLessThan(80);
  } else {
    expect(tokens).toEqual(NO_TOKENS);
  }
}

function expectBytes(read: Awaited<ReturnType<typeof readAll>>): Buffer {
  if (!('bytes' in read)) throw new Error(`the client saw an error: ${String(read.error)}`);
  return read.bytes;
}

const SPOILED_WIRE: [string, Record<string, string>][] = [
  ['CRLF framing, events cut every 5 bytes', { 'x-sim-framing': 'crlf', 'x-sim-chunk-bytes': '5' }],
  [
    'bare CR framing, events cut every 3 bytes',
    { 'x-sim-framing': 'cr', 'x-sim-chunk-bytes': '3' },
  ],
  ['no event: lines', { 'x-sim-framing': 'bare' }],
  ['an event whose data is not JSON', { 'x-sim-garbage': '1' }],
  ['the terminal events twice', { 'x-sim-repeat-terminal': '1' }],
];

describe.each(STREAM_CALLS)('$name', (call) => {
  it.each(SPOILED_WIRE)('%s: success, tokens counted once, bytes unchanged', async (_, headers) => {
    const { res, read, line } = await exchange(call, headers);
    expect(res.status).toBe(200);
    expect(expectBytes(read).equals(lastSent())).toBe(true);
    expect(sim.reported.host_in).toBeGreaterThan(0);
    expect(line).toMatchObject({ route: call.route, outcome: 'success', tokens: reportedTokens() });
    await expectHealthy(call);
  });

  it('a stream that ends without its terminal event is incomplete', async () => {
    const { res, read, line } = await exchange(call, { 'x-sim-scenario': 'premature_close' });
    expect(res.status).toBe(200);
    expect(expectBytes(read).equals(lastSent())).toBe(true);
    expect(line).toMatchObject({ outcome: 'incomplete', status: '200' });
    expectPartialTokens(call, line);
    await expectHealthy(call);
  });

  it('a connection reset mid-stream reaches the client as an error; incomplete', async () => {
    const { res, read, line } = await exchange(call, { 'x-sim-scenario': 'reset' });
    expect(res.status).toBe(200);
    expect(read).toHaveProperty('error');
    expect(line).toMatchObject({ outcome: 'incomplete', error_type: 'stream_reset' });
    await expectHealthy(call);
  });

  it('a stream that stalls is cut after the idle timeout; the client sees the break', async () => {
    const { res, read, line } = await exchange(call, { 'x-sim-stall-after': '2' });
    expect(res.status).toBe(200);
    expect(read).toHaveProperty('error');
    expect(line).toMatchObject({ outcome: 'incomplete', error_type: 'idle_timeout' });
    expectPartialTokens(call, line);
    await expectHealthy(call);
  });

  it('a JSON error body with status 200 on a streaming request is an upstream error', async () => {
    const body = { error: { message: 'The server had an error.', type: 'server_error' } };
    sim.failNext({ status: 200, body });
    const { res, read, line } = await exchange(call);
    expect(res.status).toBe(200);
    expect(JSON.parse(expectBytes(read).toString())).toEqual(body);
    expect(line).toMatchObject({ outcome: 'upstream_error', status: '200', tokens: NO_TOKENS });
    await expectHealthy(call);
  });

  it('a JSON error body with a 4xx on a streaming request is passed on as it came', async () => {
    const body = { error: { message: 'Bad field "x".', type: 'invalid_request_error' } };
    sim.failNext({ status: 400, body, headers: { 'x-upstream-marker': 'kept' } });
    const { res, read, line } = await exchange(call);
    expect(res.status).toBe(400);
    expect(res.headers.get('x-upstream-marker')).toBe('kept');
    expect(JSON.parse(expectBytes(read).toString())).toEqual(body);
    expect(line).toMatchObject({ outcome: 'upstream_error', status: '400', attempts: 1 });
    await expectHealthy(call);
  });
});

describe('overloaded and oversized', () => {
  const anthropic = STREAM_CALLS.find((c) => c.name === 'Anthropic Messages')!;
  const responses = STREAM_CALLS.find((c) => c.name === 'OpenAI Responses')!;

  it("a 529 on the only account reaches the client as Anthropic's overloaded error", async () => {
    sim.failNext({ status: 529 });
    const { res, read, line } = await exchange(anthropic);
    expect(res.status).toBe(529);
    const body = JSON.parse(expectBytes(read).toString());
    expect(body).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    expect(line).toMatchObject({ outcome: 'upstream_error', status: '529', attempts: 1 });
    await expectHealthy(anthropic);
  });

  it('a 16 MB single event (a large image) is relayed whole and metered', async () => {
    const call = {
      ...responses,
      body: { ...responses.body, tools: [{ type: 'image_generation' }] },
    };
    const size = String(16 * 1024 * 1024);
    const { res, read, line } = await exchange(call, {
      'x-sim-image-bytes': size,
      'x-sim-chunk-bytes': String(256 * 1024 + 7),
    });
    expect(res.status).toBe(200);
    const bytes = expectBytes(read);
    expect(bytes.length).toBeGreaterThan(16 * 1024 * 1024);
    expect(bytes.equals(lastSent())).toBe(true);
    expect(sim.reported.image_out).toBeGreaterThan(0);
    expect(line).toMatchObject({
      outcome: 'success',
      image_outcome: 'success',
      image_reason: 'completed',
      tokens: reportedTokens(),
    });
    await expectHealthy(responses);
  });
});

describe("the simulator's wire faults", () => {
  /** A Responses stream straight from the simulator, with `x-sim-*` headers. */
  async function direct(headers: Record<string, string>): Promise<string> {
    const res = await fetch(`${sim.url}/responses`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-direct',
        ...headers,
      },
      body: JSON.stringify({ model: 'gpt-4.1', input: 'x', stream: true }),
    });
    return res.text();
  }

  it('spoil the framing, add garbage and repeat the terminal events as asked', async () => {
    const plain = await direct({});
    expect(plain).not.toContain('\r');
    expect((await direct({ 'x-sim-framing': 'crlf' })).split('\r\n\r\n').length).toBe(
      plain.split('\n\n').length,
    );
    expect(await direct({ 'x-sim-framing': 'cr' })).not.toContain('\n');
    expect(await direct({ 'x-sim-framing': 'bare' })).not.toMatch(/^event:/m);
    expect(await direct({ 'x-sim-garbage': '1' })).toContain('data: <html>');
    const twice = await direct({ 'x-sim-repeat-terminal': '1' });
    expect(twice.match(/event: response.completed/g)).toHaveLength(2);
    // Cut into 3-byte writes, the stream still holds the same events.
    const cut = await direct({ 'x-sim-chunk-bytes': '3' });
    expect(cut.split('\n\n').length).toBe(plain.split('\n\n').length);
  });

  it('refuse a malformed control with a 400', async () => {
    const res = await fetch(`${sim.url}/responses`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer k',
        'x-sim-framing': 'lf',
      },
      body: JSON.stringify({ model: 'gpt-4.1', input: 'x', stream: true }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.param).toBe('x-sim-framing');
  });
});
