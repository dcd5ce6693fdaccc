import http from 'node:http';
import zlib from 'node:zlib';
import { createParser } from 'eventsource-parser';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatDuration } from '../simulator/headers.js';
import { DEFAULT_USAGE, startSimulator, type Simulator } from '../simulator/index.js';
import { emptyTotals } from '../simulator/usage.js';

const KEY = 'sk-test-account-a';

let sim: Simulator;
const extraSims: Simulator[] = [];

beforeAll(async () => {
  sim = await startSimulator();
});
beforeEach(() => sim.reset());
afterEach(async () => {
  await Promise.all(extraSims.splice(0).map((s) => s.close()));
});
afterAll(() => sim.close());

async function startExtra(options?: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
  const extra = await startSimulator(options);
  extraSims.push(extra);
  return extra;
}

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

interface SseEvent {
  event: string | undefined;
  data: string;
}

function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push({ event: e.event, data: e.data }) });
  parser.feed(text);
  return events;
}

/** Responses events as parsed JSON, checking that `type` repeats the `event:` line. */
async function responseEvents(res: Response): Promise<Record<string, any>[]> {
  return parseSse(await res.text()).map(({ event, data }) => {
    const json = JSON.parse(data);
    expect(json.type).toBe(event);
    return json;
  });
}

/** A streaming Responses request body and the header that picks its scenario. */
function streamRequest(scenario: string, extra: Record<string, unknown> = {}) {
  const body = { model: 'gpt-4.1', input: 'hi', stream: true, ...extra };
  return { body, headers: { 'x-sim-scenario': scenario } };
}

async function streamScenario(scenario: string, headers: Record<string, string> = {}) {
  const request = streamRequest(scenario);
  return responseEvents(await post('/responses', request.body, { ...request.headers, ...headers }));
}

/** Reads a body to its end or its failure, keeping what arrived before a failure. */
async function readAll(res: Response): Promise<{ text: string; failed: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, failed: false };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { text, failed: true };
  }
}

/** A request through node:http, which neither adds accept-encoding nor decodes. */
function rawPost(url: string, headers: Record<string, string>, body: unknown) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
    (resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        // 'close' also comes after a dropped connection: keep what arrived before it.
        res.on('close', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    },
  );
}

/** Checks a PNG the way a decoder would: signature, chunk CRCs, IHDR, inflated pixel size. */
function decodePng(base64: string): { width: number; height: number } {
  const png = Buffer.from(base64, 'base64');
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const typeAndData = png.subarray(at + 4, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(zlib.crc32(typeAndData));
    chunks.push({
      type: typeAndData.subarray(0, 4).toString('ascii'),
      data: typeAndData.subarray(4),
    });
    at += 12 + length;
  }
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const ihdr = chunks[0].data;
  const [width, height] = [ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)];
  expect([...ihdr.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
  expect(zlib.inflateSync(chunks[1].data).length).toBe(height * (1 + 3 * width));
  return { width, height };
}

const TEXT_EVENTS = [
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.content_part.added',
  ...Array(5).fill('response.output_text.delta'),
  'response.output_text.done',
  'response.content_part.done',
  'response.output_item.done',
];

describe('Responses streaming', () => {
  it('frames a text answer like OpenAI and reports its usage', async () => {
    const { body, headers } = streamRequest('text');
    const res = await post('/responses', body, headers);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(res.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+ms$/);
    expect(res.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
    const raw = await res.text();
    expect(raw).toMatch(/^(event: [a-z_.]+\ndata: \{.*\}\n\n)+$/);

    const events = parseSse(raw).map((e) => JSON.parse(e.data));
    expect(events.map((e) => e.type)).toEqual([...TEXT_EVENTS, 'response.completed']);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const [created, inProgress] = events;
    for (const e of [created, inProgress]) {
      expect(e.response).toMatchObject({ object: 'response', status: 'in_progress', usage: null });
      expect(e.response.id).toMatch(/^resp_[0-9a-f]{50}$/);
    }
    const deltas = events.filter((e) => e.type === 'response.output_text.delta');
    expect(deltas[0]).toMatchObject({ output_index: 0, content_index: 0 });
    expect(deltas[0].item_id).toMatch(/^msg_/);
    const done = events.find((e) => e.type === 'response.output_text.done')!;
    expect(done.text).toBe(deltas.map((d) => d.delta).join(''));

    const completed = events.at(-1)!.response;
    expect(completed.status).toBe('completed');
    expect(completed.output[0]).toMatchObject({ type: 'message', status: 'completed' });
    expect(completed.usage).toEqual({
      input_tokens: 1500,
      input_tokens_details: { cached_tokens: 1024 },
      output_tokens: 80,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 1580,
    });
    expect(completed.tool_usage).toBeUndefined();
    expect(sim.reported).toEqual(DEFAULT_USAGE.text);
  });

  it('streams a reasoning summary before the message', async () => {
    const events = await streamScenario('reasoning', { 'x-sim-events': '2' });
    const types = events.map((e) => e.type);
    expect(types.slice(2, 9)).toEqual([
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
    ]);
    expect(events[2].item).toMatchObject({ type: 'reasoning' });
    expect(events[2].item.id).toMatch(/^rs_/);
    const completed = events.at(-1)!;
    expect(completed.response.output.map((i: { type: string }) => i.type)).toEqual([
      'reasoning',
      'message',
    ]);
    expect(completed.response.usage.output_tokens_details.reasoning_tokens).toBe(320);
  });

  it('streams function-call arguments that join into valid JSON', async () => {
    const { body } = streamRequest('tool_call', {
      tools: [{ type: 'function', name: 'lookup', parameters: {} }],
    });
    const res = await post('/responses', body, { 'x-sim-scenario': 'tool_call' });
    const events = await responseEvents(res);
    const deltas = events.filter((e) => e.type === 'response.function_call_arguments.delta');
    expect(deltas).toHaveLength(5);
    const done = events.find((e) => e.type === 'response.function_call_arguments.done')!;
    expect(done.arguments).toBe(deltas.map((d) => d.delta).join(''));
    expect(JSON.parse(done.arguments)).toMatchObject({ location: 'Paris' });
    const item = events.at(-1)!.response.output[0];
    expect(item).toMatchObject({ type: 'function_call', name: 'lookup', status: 'completed' });
    expect(item.id).toMatch(/^fc_/);
    expect(item.call_id).toMatch(/^call_/);
  });

  it('generates a real PNG when the request declares the image tool', async () => {
    const body = {
      model: 'gpt-4.1',
      input: 'draw',
      stream: true,
      tools: [{ type: 'image_generation' }],
    };
    const events = await responseEvents(await post('/responses', body));
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.image_generation_call.in_progress',
      'response.image_generation_call.generating',
      'response.image_generation_call.partial_image',
      'response.image_generation_call.completed',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[2].item).toMatchObject({ type: 'image_generation_call', status: 'in_progress' });
    expect(events[2].item.id).toMatch(/^ig_/);
    decodePng(events[5].partial_image_b64);
    const item = events[7].item;
    expect(Math.abs(item.result.length - 64 * 1024)).toBeLessThan(2048);
    decodePng(item.result);

    const response = events[8].response;
    expect(response.output).toEqual([item]);
    expect(response.tool_usage).toEqual({
      image_gen: { input_tokens: 62, output_tokens: 1056, total_tokens: 1118 },
    });
    expect(sim.reported).toEqual(DEFAULT_USAGE.image);
  });

  it('sizes the image from x-sim-image-bytes', async () => {
    const events = await streamScenario('image', { 'x-sim-image-bytes': '400000' });
    const result = events.find((e) => e.type === 'response.output_item.done')!.item.result;
    expect(Math.abs(result.length - 400_000) / 400_000).toBeLessThan(0.01);
    expect(decodePng(result).width).toBeGreaterThan(100);
  });

  it('answers an image request in text without tool usage (image_fallback)', async () => {
    const events = await streamScenario('image_fallback');
    const response = events.at(-1)!.response;
    expect(response.output[0].content[0].text).toMatch(/^<svg .*<\/svg>$/);
    expect(response.tool_usage).toBeUndefined();
    expect(sim.reported).toEqual(DEFAULT_USAGE.image_fallback);
  });

  it('ends with response.incomplete and response.failed, both with usage', async () => {
    const incomplete = (await streamScenario('incomplete')).at(-1)!;
    expect(incomplete.type).toBe('response.incomplete');
    expect(incomplete.response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(incomplete.response.usage.output_tokens).toBe(256);

    const failed = (await streamScenario('failed')).at(-1)!;
    expect(failed.type).toBe('response.failed');
    expect(failed.response.error).toEqual({ code: 'server_error', message: expect.any(String) });
    expect(failed.response.usage.input_tokens).toBe(410);
    expect(sim.reported.host_in).toBe(400 + 410);
  });

  it('sends a bare error event and no terminal event (error_event)', async () => {
    const events = await streamScenario('error_event', { 'x-sim-events': '3' });
    expect(events.filter((e) => e.type === 'response.output_text.delta')).toHaveLength(3);
    expect(events.at(-1)).toEqual({
      type: 'error',
      sequence_number: events.length - 1,
      code: 'server_error',
      message: expect.any(String),
      param: null,
    });
    expect(sim.reported).toEqual(emptyTotals());
  });

  it('closes cleanly without a terminal event (premature_close)', async () => {
    const { body, headers } = streamRequest('premature_close');
    const { text, failed } = await readAll(await post('/responses', body, headers));
    expect(failed).toBe(false);
    const types = parseSse(text).map((e) => e.event);
    expect(types.at(-1)).toBe('response.output_text.delta');
    expect(sim.reported).toEqual(emptyTotals());
  });

  it('drops the connection after the deltas (reset)', async () => {
    const { body, headers } = streamRequest('reset');
    // Identity on purpose: fetch's own gunzip can drop the last decoded chunk when the
    // connection fails; the compressed case is checked on raw bytes below.
    const res = await post('/responses', body, { ...headers, 'accept-encoding': 'identity' });
    const { text, failed } = await readAll(res);
    expect(failed).toBe(true);
    expect(parseSse(text).filter((e) => e.event === 'response.output_text.delta')).toHaveLength(5);
  });

  it('lays x-sim-usage and x-sim-image-usage over the defaults', async () => {
    const usage = { input_tokens: 100, input_tokens_details: { cached_tokens: 40 } };
    const events = await streamScenario('image', {
      'x-sim-usage': JSON.stringify(usage),
      'x-sim-image-usage': JSON.stringify({ input_tokens: 7, output_tokens: 272 }),
      'x-sim-image-bytes': '2000',
    });
    const response = events.at(-1)!.response;
    expect(response.usage).toMatchObject({ ...usage, output_tokens: 140, total_tokens: 240 });
    expect(response.tool_usage.image_gen).toEqual({
      input_tokens: 7,
      output_tokens: 272,
      total_tokens: 279,
    });
    expect(sim.reported).toEqual({
      ...emptyTotals(),
      host_in: 100,
      cache: 40,
      host_out: 140,
      image_in: 7,
      image_out: 272,
    });
  });

  it('omits obfuscation when stream_options.include_obfuscation is false', async () => {
    const { body, headers } = streamRequest('text', {
      stream_options: { include_obfuscation: false },
    });
    const events = await responseEvents(await post('/responses', body, headers));
    const delta = events.find((e) => e.type === 'response.output_text.delta')!;
    expect(delta).not.toHaveProperty('obfuscation');
  });
});

describe('Responses without streaming', () => {
  it('answers one response object with usage and tool usage', async () => {
    const body = {
      model: 'gpt-4.1',
      input: 'draw',
      tools: [{ type: 'image_generation', size: '1536x1024' }],
    };
    const res = await post('/responses', body, { 'x-sim-image-bytes': '3000' });
    expect(res.headers.get('content-type')).toBe('application/json');
    const json = await res.json();
    expect(json).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4.1' });
    expect(json.output[0]).toMatchObject({ type: 'image_generation_call', size: '1536x1024' });
    decodePng(json.output[0].result);
    expect(json.tool_usage.image_gen.output_tokens).toBe(1056);
    expect(sim.reported).toEqual(DEFAULT_USAGE.image);
  });

  it('turns a failed generation into a 500 and a reset into a cut body', async () => {
    const failed = await post('/responses', { input: 'x' }, { 'x-sim-scenario': 'failed' });
    expect(failed.status).toBe(500);
    expect((await failed.json()).error).toMatchObject({ type: 'server_error', param: null });

    const reset = await post('/responses', { input: 'x' }, { 'x-sim-scenario': 'reset' });
    expect(reset.status).toBe(200);
    expect((await readAll(reset)).failed).toBe(true);
    expect(sim.reported).toEqual(emptyTotals());
  });

  it('compacts a conversation into its user messages and a compaction item', async () => {
    const input = [
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'reply' },
    ];
    const json = await (await post('/responses/compact', { model: 'gpt-5', input })).json();
    expect(json.object).toBe('response.compaction');
    expect(json.output).toEqual([input[0], expect.objectContaining({ type: 'compaction' })]);
    expect(json.usage.input_tokens).toBe(1500);
  });
});

describe('Chat Completions', () => {
  const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true };

  it('streams data-only chunks, with a usage chunk before [DONE] when asked', async () => {
    const res = await post('/chat/completions', {
      ...chat,
      stream_options: { include_usage: true },
    });
    const raw = await res.text();
    expect(raw).toMatch(/^(data: \{.*\}\n\n)+data: \[DONE\]\n\n$/);
    const events = parseSse(raw);
    expect(events.every((e) => e.event === undefined)).toBe(true);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.every((c) => c.usage === null || c === chunks.at(-1))).toBe(true);
    expect(chunks[0]).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-4o' });
    expect(chunks[0].id).toMatch(/^chatcmpl-/);
    expect(chunks[0].choices[0]).toMatchObject({ delta: { role: 'assistant' }, logprobs: null });
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({
      prompt_tokens: 1500,
      completion_tokens: 80,
      total_tokens: 1580,
      prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(sim.reported).toEqual(DEFAULT_USAGE.text);
  });

  it('sends no usage at all without stream_options.include_usage', async () => {
    const events = parseSse(await (await post('/chat/completions', chat)).text());
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.every((c) => !('usage' in c) && c.choices.length === 1)).toBe(true);
    expect(sim.reported).toEqual(emptyTotals());
  });

  it('streams tool calls and mid-stream errors', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: {} } }];
    const calls = parseSse(
      await (
        await post('/chat/completions', { ...chat, tools }, { 'x-sim-scenario': 'tool_call' })
      ).text(),
    );
    const chunks = calls.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks[0].choices[0].delta.tool_calls[0].function.name).toBe('lookup');
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('tool_calls');

    const res = await post('/chat/completions', chat, { 'x-sim-scenario': 'error_event' });
    const events = parseSse(await res.text());
    expect(JSON.parse(events.at(-1)!.data).error.type).toBe('server_error');
    expect(events.some((e) => e.data === '[DONE]')).toBe(false);
  });

  it('answers chat.completion objects without streaming', async () => {
    const json = await (await post('/chat/completions', { ...chat, stream: false })).json();
    expect(json).toMatchObject({ object: 'chat.completion', choices: [{ finish_reason: 'stop' }] });
    expect(json.usage.prompt_tokens).toBe(1500);
    expect(sim.reported.host_out).toBe(80);
  });

  it('rejects scenarios that do not exist in chat', async () => {
    const res = await post('/chat/completions', chat, { 'x-sim-scenario': 'image' });
    expect(res.status).toBe(400);
    expect((await res.json()).error.param).toBe('x-sim-scenario');
  });
});

describe('the official SDK', () => {
  it('reads simulated streams without complaint', async () => {
    const client = new OpenAI({ apiKey: KEY, baseURL: sim.url, maxRetries: 0 });
    const stream = await client.responses.create({ model: 'gpt-4.1', input: 'hi', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe('response.completed');

    const chunks = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: unknown;
    for await (const chunk of chunks) usage = chunk.usage ?? usage;
    expect(usage).toMatchObject({ prompt_tokens: 1500 });
  });
});

describe('routes, auth and recording', () => {
  it('lists models, echoes bodies, and 404s anything else in the OpenAI shape', async () => {
    const models = await (
      await fetch(`${sim.url}/models`, { headers: { authorization: `Bearer ${KEY}` } })
    ).json();
    expect(models.object).toBe('list');
    expect(models.data[0]).toMatchObject({ object: 'model' });

    const echo = await post('/echo', 'a=1&b=2', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(echo.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(await echo.text()).toBe('a=1&b=2');

    const missing = await post('/xyz', {});
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: {
        message: 'Invalid URL (POST /v1/xyz)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });

  it('requires a bearer key and rejects bad JSON and bad controls', async () => {
    const anonymous = await fetch(`${sim.url}/responses`, { method: 'POST', body: '{}' });
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.type).toBe('invalid_request_error');
    expect((await post('/responses', '{nope')).status).toBe(400);
    expect((await post('/responses', {}, { 'x-sim-events': '-1' })).status).toBe(400);
    expect((await post('/responses', {}, { 'x-sim-scenario': 'nope' })).status).toBe(400);
  });

  it('records what reached it', async () => {
    await post('/responses?trace=1', { model: 'gpt-4.1', input: 'hi' }, { 'x-custom': 'yes' });
    expect(sim.requests).toHaveLength(1);
    const [request] = sim.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/responses?trace=1', apiKey: KEY });
    expect(request.json).toEqual({ model: 'gpt-4.1', input: 'hi' });
    expect(request.body.toString()).toBe('{"model":"gpt-4.1","input":"hi"}');
    expect(request.headers['x-custom']).toBe('yes');
  });
});

describe('faults', () => {
  it('answers the next requests with an armed status, then recovers', async () => {
    sim.failNext({ status: 429, headers: { 'retry-after': '2' } }, 2);
    for (let i = 0; i < 2; i++) {
      const res = await post('/responses', { input: 'x' });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.headers.get('x-request-id')).toMatch(/^req_/);
      expect((await res.json()).error).toMatchObject({
        type: 'requests',
        code: 'rate_limit_exceeded',
      });
    }
    expect((await post('/responses', { input: 'x' })).status).toBe(200);
  });

  it('fails only the armed account, with the given body', async () => {
    sim.failAccount('sk-bad', { status: 401, body: { error: { message: 'no' } } });
    const bad = await post('/responses', { input: 'x' }, { authorization: 'Bearer sk-bad' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: { message: 'no' } });
    expect((await post('/responses', { input: 'x' })).status).toBe(200);
    expect(
      (await post('/responses', { input: 'x' }, { authorization: 'Bearer sk-bad' })).status,
    ).toBe(401);
  });

  it('resets the connection before any response', async () => {
    sim.failNext({ kind: 'destroy' });
    await expect(post('/responses', { input: 'x' })).rejects.toThrow();
    expect(sim.requests).toHaveLength(1);
  });

  it('hangs until close() drops the connection', async () => {
    const hanging = await startExtra();
    hanging.failNext({ kind: 'hang' });
    const pending = fetch(`${hanging.url}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: '{}',
    });
    await vi.waitFor(() => expect(hanging.requests).toHaveLength(1));
    await hanging.close();
    await expect(pending).rejects.toThrow();
  });

  it('rejects a count that arms nothing', () => {
    expect(() => sim.failNext({ status: 500 }, 0)).toThrow(RangeError);
  });
});

describe('compression', () => {
  const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  const body = { model: 'gpt-4.1', input: 'hi', stream: true };

  it('gzips when allowed and sends identity otherwise', async () => {
    const gzipped = await rawPost(
      `${sim.url}/responses`,
      { ...auth, 'accept-encoding': 'gzip, br' },
      body,
    );
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gzipped.body).toString()).toMatch(/event: response\.completed\n/);

    const plain = await rawPost(`${sim.url}/responses`, auth, body);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toMatch(/^event: response\.created\n/);
  });

  it('follows the configured preference, and can be switched off', async () => {
    const brotli = await startExtra({ encodings: ['br', 'gzip'] });
    const br = await rawPost(
      `${brotli.url}/responses`,
      { ...auth, 'accept-encoding': 'gzip, deflate, br' },
      body,
    );
    expect(br.headers['content-encoding']).toBe('br');
    expect(zlib.brotliDecompressSync(br.body).toString()).toMatch(/response\.completed/);

    const off = await startExtra({ compress: false });
    const plain = await rawPost(
      `${off.url}/responses`,
      { ...auth, 'accept-encoding': 'gzip' },
      body,
    );
    expect(plain.headers['content-encoding']).toBeUndefined();
  });

  it('flushes every event, so a compressed stream still streams', async () => {
    // The pause after the first event is never waited out: the first event must arrive,
    // decoded, while the simulator is still holding the rest.
    const res = await post('/responses', body, {
      'accept-encoding': 'gzip',
      'x-sim-delay-ms': '60000',
    });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toMatch(/^event: response\.created\ndata: .*\n\n$/);
    await reader.cancel();
  });

  it('has every compressed delta on the wire before a reset', async () => {
    const headers = { ...auth, 'accept-encoding': 'gzip', 'x-sim-scenario': 'reset' };
    const res = await rawPost(`${sim.url}/responses`, headers, body);
    const text = zlib.gunzipSync(res.body, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
    expect(text.match(/event: response\.output_text\.delta\n/g)).toHaveLength(5);
  });

  it('corrupts the compressed body after its first part on request', async () => {
    const res = await rawPost(
      `${sim.url}/responses`,
      { ...auth, 'accept-encoding': 'gzip', 'x-sim-encoding-corrupt': '1' },
      body,
    );
    expect(() => zlib.gunzipSync(res.body)).toThrow();
  });
});

describe('helpers', () => {
  it('formats reset durations like Go and OpenAI', () => {
    expect(formatDuration(6)).toBe('6ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(7_200_000)).toBe('2h0m0s');
  });

  it('forgets requests, usage and faults on reset()', async () => {
    await post('/responses', { input: 'x' });
    sim.failNext({ status: 500 });
    sim.reset();
    expect(sim.requests).toEqual([]);
    expect(sim.reported).toEqual(emptyTotals());
    expect((await post('/responses', { input: 'x' })).status).toBe(200);
  });
});
