import OpenAI, { toFile } from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { openAiConfig, startGateway, type TestGateway } from './support/gateway.js';
import { eventTypes } from './support/sse.js';

/**
 * The Images API through the gateway, driven by the OpenAI SDK: generations as JSON and as a
 * stream, edits as multipart forms passed on byte for byte, image tokens and image outcomes.
 */

let sim: Simulator;
let tg: TestGateway;

beforeAll(async () => {
  sim = await startSimulator({ compress: false });
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.reset();
  tg = await startGateway(openAiConfig(sim.url));
});
afterEach(() => tg.close());

function client(headers: Record<string, string> = {}) {
  return new OpenAI({
    apiKey: 'sk-client',
    baseURL: `${tg.url}/v1`,
    maxRetries: 0,
    defaultHeaders: headers,
  });
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

async function imageRequests(outcome: string, reason: string) {
  return (await tg.scrape()).sum('tollgate_image_requests_total', {
    image_outcome: outcome,
    reason,
  });
}

describe('generations', () => {
  it('as JSON: image tokens from usage, a successful image request', async () => {
    const logged = tg.nextExchange();
    const answer = await client().images.generate({ model: 'gpt-image-1', prompt: 'a tollgate' });
    expect(Buffer.from(answer.data![0].b64_json!, 'base64').subarray(0, 4)).toEqual(PNG_SIGNATURE);
    expect(await logged).toMatchObject({
      route: '/v1/images/generations',
      model: 'gpt-image-1',
      outcome: 'success',
      image_outcome: 'success',
      image_reason: 'completed',
      tokens: { image_in: 50, image_out: 1056, host_in: 0, host_out: 0 },
    });
    const scrape = await tg.scrape();
    expect(scrape.sum('tollgate_tokens_total', { token_kind: 'image_out' })).toBe(1056);
    expect(scrape.select('gen_ai_client_operation_duration')[0].labels.gen_ai_operation_name).toBe(
      'image_generation',
    );
  });

  it('streamed: partial images time the first token, the completed event carries usage', async () => {
    const logged = tg.nextExchange();
    const res = await fetch(`${tg.url}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-image-1', prompt: 'x', stream: true, partial_images: 2 }),
    });
    const text = await res.text();
    expect(Buffer.from(text)).toEqual(Buffer.concat(sim.requests[0].sent));
    expect(eventTypes(text)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ]);
    const line = await logged;
    expect(line).toMatchObject({
      stream: true,
      image_outcome: 'success',
      tokens: { image_out: 1056 },
    });
    expect(line.ttft_ms).toEqual(expect.any(Number));
  });

  it('with the SDK streaming helper', async () => {
    const stream = await client().images.generate({
      model: 'gpt-image-1',
      prompt: 'x',
      stream: true,
      partial_images: 1,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual(['image_generation.partial_image', 'image_generation.completed']);
    expect(await imageRequests('success', 'completed')).toBe(1);
  });

  it('a returned image without reported usage is a success; usage without output tokens is not', async () => {
    await client({ 'x-sim-usage': 'null' }).images.generate({ model: 'dall-e-3', prompt: 'x' });
    expect(await imageRequests('success', 'completed')).toBe(1);

    const zero = JSON.stringify({ output_tokens: 0 });
    await client({ 'x-sim-usage': zero }).images.generate({ model: 'gpt-image-1', prompt: 'x' });
    expect(await imageRequests('failed', 'no_image_tokens')).toBe(1);
  });

  it('an error event in the stream fails the image request as upstream_error', async () => {
    const logged = tg.nextExchange();
    const res = await fetch(`${tg.url}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sim-scenario': 'error_event' },
      body: JSON.stringify({ model: 'gpt-image-1', prompt: 'x', stream: true }),
    });
    await res.text();
    expect(await logged).toMatchObject({
      outcome: 'upstream_error',
      image_outcome: 'failed',
      image_reason: 'upstream_error',
    });
  });
});

describe('edits', () => {
  it('pass the multipart form on byte for byte and read the model from it', async () => {
    const logged = tg.nextExchange();
    const picture = await toFile(Buffer.concat([PNG_SIGNATURE, Buffer.alloc(64, 7)]), 'in.png', {
      type: 'image/png',
    });
    const answer = await client().images.edit({
      model: 'gpt-image-1',
      image: picture,
      prompt: 'add a gate',
    });
    expect(answer.data![0].b64_json).toEqual(expect.any(String));
    const line = await logged;
    expect(line).toMatchObject({
      route: '/v1/images/edits',
      model: 'gpt-image-1',
      image_outcome: 'success',
      tokens: { image_in: 50, image_out: 1056 },
    });
    const seen = sim.requests[0];
    expect(String(seen.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen.body.includes(Buffer.concat([PNG_SIGNATURE, Buffer.alloc(64, 7)]))).toBe(true);
  });

  it('streamed edits meter the image_edit events', async () => {
    const logged = tg.nextExchange();
    const picture = await toFile(Buffer.from(PNG_SIGNATURE), 'in.png', { type: 'image/png' });
    const stream = await client().images.edit({
      model: 'gpt-image-1',
      image: picture,
      prompt: 'x',
      stream: true,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual(['image_edit.completed']);
    expect(await logged).toMatchObject({ stream: true, image_outcome: 'success' });
  });

  it('a body that is neither a form nor JSON is refused in OpenAI shape', async () => {
    const res = await fetch(`${tg.url}/v1/images/edits`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'picture',
    });
    expect(res.status).toBe(415);
    expect((await res.json()).error).toMatchObject({ code: 'unsupported_content_type' });
    expect(await imageRequests('failed', 'rejected')).toBe(1);
  });
});
