import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { eventTypes } from './support/sse.js';

/**
 * Anthropic Messages through the gateway, driven by the official SDK as Claude Code would:
 * answers unchanged, usage by token kind (cumulative, cache hits kept), endings, the account's
 * key in `x-api-key`, and Tollgate's own errors in Anthropic's shape.
 */

const ACCOUNT_KEY = 'sk-ant-sim-account-0001';
const CLIENT_KEY = 'sk-ant-client-own-key-42';
const MODEL = 'claude-sonnet-4-5-20250929';

let sim: Simulator;
let tg: TestGateway;

beforeAll(async () => {
  sim = await startSimulator({ compress: false });
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.reset();
  tg = await startGateway({
    listen: { host: '127.0.0.1', port: 0 },
    clients: [{ name: 'claude-code', key: CLIENT_KEY }],
    upstreams: [
      {
        name: 'anthropic',
        protocol: 'anthropic',
        base_url: sim.url,
        models: ['claude-*'],
        accounts: [
          { name: 'ant-a', api_key: ACCOUNT_KEY },
          { name: 'ant-b', api_key: 'sk-ant-sim-account-0002' },
        ],
      },
    ],
  });
});
afterEach(() => tg.close());

function client(headers: Record<string, string> = {}) {
  return new Anthropic({
    apiKey: CLIENT_KEY,
    baseURL: tg.url,
    maxRetries: 0,
    defaultHeaders: headers,
  });
}

const REQUEST = {
  model: MODEL,
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: 'Say hello.' }],
};

async function tokens(kind: string, route = '/v1/messages') {
  return (await tg.scrape()).sum('tollgate_tokens_total', { route, token_kind: kind });
}

describe('streamed messages', () => {
  it('pass through unchanged and meter the whole prompt, cache reads and writes', async () => {
    const logged = tg.nextExchange();
    const stream = client().messages.stream(REQUEST);
    const message = await stream.finalMessage();
    expect(message.content[0]).toMatchObject({ type: 'text', text: expect.any(String) });

    const line = await logged;
    expect(line).toMatchObject({
      route: '/v1/messages',
      model: MODEL,
      account: expect.stringMatching(/^ant-/),
      client: 'claude-code',
      outcome: 'success',
      stream: true,
      tokens: { host_in: 24 + 1024 + 256, cache: 1024, cache_write: 256, host_out: 80 },
    });
    expect(line.upstream_request_id).toMatch(/^req_/);
    expect(line.ttft_ms).toEqual(expect.any(Number));
    expect(await tokens('cache')).toBe(1024);
    expect(await tokens('cache_write')).toBe(256);

    const scrape = await tg.scrape();
    expect(
      scrape.one('gen_ai_client_token_usage', {
        gen_ai_token_type: 'input',
        gen_ai_provider_name: 'anthropic',
      }).sum,
    ).toBe(1304);
    expect(scrape.select('tollgate_time_to_first_token_seconds')).toHaveLength(1);
  });

  it('keeps a cache hit of message_start when the final delta restates it as 0', async () => {
    const logged = tg.nextExchange();
    await client({ 'x-sim-delta-cache': 'zero' }).messages.stream(REQUEST).finalMessage();
    expect((await logged).tokens).toMatchObject({ host_in: 1304, cache: 1024, cache_write: 256 });
  });

  it('takes output tokens from the last delta, never a sum', async () => {
    const logged = tg.nextExchange();
    const usage = JSON.stringify({ output_tokens: 333 });
    await client({ 'x-sim-usage': usage }).messages.stream(REQUEST).finalMessage();
    // message_start says 1 output token, message_delta 333 cumulative: 333, not 334.
    expect((await logged).tokens).toMatchObject({ host_out: 333 });
  });

  it('relays the bytes as the upstream sent them', async () => {
    const res = await fetch(`${tg.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': CLIENT_KEY,
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({ ...REQUEST, stream: true }),
    });
    const text = await res.text();
    expect(Buffer.from(text)).toEqual(Buffer.concat(sim.requests[0].sent));
    expect(eventTypes(text)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    expect(res.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');
  });

  it('ends as upstream_error on an error event, labelled with its type', async () => {
    const logged = tg.nextExchange();
    const stream = client({ 'x-sim-scenario': 'error_event' }).messages.stream(REQUEST);
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded/);
    const line = await logged;
    expect(line).toMatchObject({ outcome: 'upstream_error', error_type: 'overloaded_error' });
    const scrape = await tg.scrape();
    expect(
      scrape.one('gen_ai_client_operation_duration', { error_type: 'overloaded_error' }).value,
    ).toBe(1);
  });

  it('ends as incomplete when the stream stops before message_stop', async () => {
    const logged = tg.nextExchange();
    await client({ 'x-sim-scenario': 'premature_close' })
      .messages.stream(REQUEST)
      .finalMessage()
      .catch(() => undefined);
    expect((await logged).outcome).toBe('incomplete');
  });
});

describe('non-streamed messages and the other routes', () => {
  it('meters a JSON answer with thinking blocks', async () => {
    const logged = tg.nextExchange();
    const message = await client({ 'x-sim-scenario': 'reasoning' }).messages.create(REQUEST);
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(await logged).toMatchObject({
      outcome: 'success',
      stream: false,
      tokens: { host_in: 1304, host_out: 80 },
    });
  });

  it('sends the account key in x-api-key and the client headers through, never the client key', async () => {
    await client({ 'anthropic-beta': 'prompt-caching-2024-07-31' }).messages.create(REQUEST);
    const seen = sim.requests[0];
    expect(seen.headers['x-api-key']).toMatch(/^sk-ant-sim-account-000[12]$/);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(seen.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31');
    expect(JSON.stringify(seen.headers)).not.toContain(CLIENT_KEY);
  });

  it('accepts the client key as a bearer token too', async () => {
    const bearer = new Anthropic({ authToken: CLIENT_KEY, baseURL: tg.url, maxRetries: 0 });
    const message = await bearer.messages.create(REQUEST);
    expect(message.type).toBe('message');
  });

  it('passes count_tokens through unmetered, routed by its model', async () => {
    const logged = tg.nextExchange();
    const counted = await client().messages.countTokens({
      model: MODEL,
      messages: REQUEST.messages,
    });
    expect(counted.input_tokens).toBeGreaterThan(0);
    expect(await logged).toMatchObject({
      route: '/v1/messages/count_tokens',
      model: MODEL,
      outcome: 'success',
    });
    expect((await tg.scrape()).select('tollgate_tokens_total')).toEqual([]);
  });

  it('lists models in Anthropic shape for a client that sends anthropic-version', async () => {
    const page = await client().models.list();
    expect(page.data[0]).toMatchObject({ type: 'model', id: expect.stringMatching(/^claude-/) });
  });

  it('fails over on 529 overloaded and relays the last one when every account is overloaded', async () => {
    sim.failNext({ status: 529 }, 1);
    const logged = tg.nextExchange();
    await client().messages.create(REQUEST);
    expect(await logged).toMatchObject({ outcome: 'success', attempts: 2 });

    sim.failNext({ status: 529 }, 2);
    const error = await client()
      .messages.create(REQUEST)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((error as { error: unknown }).error).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error' },
    });
  });
});

describe("Tollgate's own errors in Anthropic's shape", () => {
  it('a wrong client key is an authentication_error', async () => {
    const error = await new Anthropic({
      apiKey: 'sk-wrong-key-000',
      baseURL: tg.url,
      maxRetries: 0,
    }).messages
      .create(REQUEST)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as { error: unknown }).error).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'Missing or invalid client key.' },
    });
  });

  it('a model no upstream serves is a not_found_error naming the model', async () => {
    const error = await client()
      .messages.create({ ...REQUEST, model: 'gpt-5' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect((error as { error: unknown }).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error', message: expect.stringContaining('"gpt-5"') },
    });
  });

  it('bad JSON is an invalid_request_error', async () => {
    const res = await fetch(`${tg.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY },
      body: '{"model":',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'The request body is not valid JSON.' },
    });
  });
});
