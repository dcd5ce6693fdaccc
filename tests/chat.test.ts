import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_USAGE, startSimulator, type Simulator } from '../simulator/index.js';
import { openAiConfig, startGateway, type TestGateway } from './support/gateway.js';
import { parseSse } from './support/sse.js';

/**
 * Chat Completions: usage only comes in a stream when the request asks for it, so Tollgate asks
 * on the client's behalf and takes the extra chunk out again; everything else passes as sent.
 */

let sim: Simulator;
let tg: TestGateway;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.reset();
  tg = await startGateway(openAiConfig(sim.url));
});
afterEach(() => tg.close());

const MESSAGES = [{ role: 'user', content: 'hi' }];
const TEXT = DEFAULT_USAGE.text!;

/** Posts with undici's `request`, which asks for no compression and decodes nothing: the text
 * is the bytes the gateway sent. */
async function postChat(body: object) {
  const res = await request(`${tg.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { res: { status: res.statusCode }, text: await res.body.text() };
}

async function expectTextTokens() {
  const scrape = await tg.scrape();
  const route = '/v1/chat/completions';
  expect(scrape.sum('tollgate_tokens_total', { route, token_kind: 'host_in' })).toBe(TEXT.host_in);
  expect(scrape.sum('tollgate_tokens_total', { route, token_kind: 'cache' })).toBe(TEXT.cache);
  expect(scrape.sum('tollgate_tokens_total', { route, token_kind: 'host_out' })).toBe(
    TEXT.host_out,
  );
}

describe('streaming chat without include_usage', () => {
  it('asks the upstream for usage, meters it, and hides the usage chunk from the client', async () => {
    const body = { model: 'gpt-5.4-mini', messages: MESSAGES, stream: true };
    const { res, text } = await postChat(body);
    expect(res.status).toBe(200);

    // What went up: the client's body with include_usage spliced in, nothing else changed.
    const sent = sim.requests[0];
    expect(sent.json).toEqual({ ...body, stream_options: { include_usage: true } });
    expect(sent.body.toString()).toBe(
      `{"stream_options":{"include_usage":true},${JSON.stringify(body).slice(1)}`,
    );

    // What came down: the upstream's bytes, less exactly the usage-only event.
    const upstreamEvents = Buffer.concat(sent.sent)
      .toString()
      .split(/(?<=\n\n)/);
    const kept = upstreamEvents.filter((event) => !event.includes('"choices":[]'));
    expect(kept).toHaveLength(upstreamEvents.length - 1);
    expect(text).toBe(kept.join(''));
    const events = parseSse(text);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((c) => Array.isArray(c.choices) && c.choices.length === 1)).toBe(true);
    expect(text).not.toContain('"prompt_tokens"');
    // The chunks that remain keep the upstream's own framing, `usage: null` included.
    expect(chunks.every((c) => c.usage === null)).toBe(true);

    await expectTextTokens();
    expect(tg.exchanges()[0]).toMatchObject({ outcome: 'success', stream: true });
  });

  it('works for the official SDK, which sees no empty-choices chunk', async () => {
    const client = new OpenAI({ baseURL: `${tg.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'gpt-5.4-mini',
      messages: MESSAGES as never,
      stream: true,
    });
    let content = '';
    for await (const chunk of stream) {
      expect(chunk.choices).toHaveLength(1);
      content += chunk.choices[0].delta.content ?? '';
    }
    expect(content.length).toBeGreaterThan(0);
    await expectTextTokens();
  });
});

describe('streaming chat with include_usage', () => {
  it('leaves the body and the usage chunk alone', async () => {
    const body = {
      model: 'gpt-5.4-mini',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    };
    const { text } = await postChat(body);
    expect(sim.requests[0].body.toString()).toBe(JSON.stringify(body));
    expect(text).toBe(Buffer.concat(sim.requests[0].sent).toString());
    const chunks = parseSse(text)
      .slice(0, -1)
      .map((e) => JSON.parse(e.data));
    const last = chunks.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage.prompt_tokens).toBe(TEXT.host_in);
    await expectTextTokens();
  });

  it('turns include_usage: false into true upstream, and still hides the chunk', async () => {
    const body = {
      model: 'm',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: false },
    };
    const { text } = await postChat(body);
    expect(sim.requests[0].json).toEqual({ ...body, stream_options: { include_usage: true } });
    expect(text).not.toContain('"prompt_tokens"');
  });
});

describe('non-streaming chat', () => {
  it('meters the usage of the JSON body, with reasoning tokens', async () => {
    const client = new OpenAI({ baseURL: `${tg.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const completion = await client.chat.completions.create(
      { model: 'o4-mini', messages: MESSAGES as never },
      { headers: { 'x-sim-scenario': 'reasoning' } },
    );
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBe(
      DEFAULT_USAGE.reasoning!.reasoning,
    );
    const scrape = await tg.scrape();
    expect(scrape.sum('tollgate_tokens_total', { model: 'o4-mini', token_kind: 'reasoning' })).toBe(
      DEFAULT_USAGE.reasoning!.reasoning,
    );
    expect(tg.exchanges()[0]).toMatchObject({ outcome: 'success', stream: false });
  });
});

describe('chat stream endings', () => {
  it('an error in the stream ends as upstream_error; a cut stream as incomplete', async () => {
    for (const [scenario, outcome] of [
      ['error_event', 'upstream_error'],
      ['premature_close', 'incomplete'],
    ]) {
      await fetch(`${tg.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-sim-scenario': scenario },
        body: JSON.stringify({ model: 'm', messages: MESSAGES, stream: true }),
      }).then((r) => r.text());
      expect(tg.exchanges().at(-1)).toMatchObject({ outcome });
    }
  });
});
