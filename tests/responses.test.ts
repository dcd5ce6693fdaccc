import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_USAGE,
  startSimulator,
  type Scenario,
  type Simulator,
} from '../simulator/index.js';
import { openAiConfig, startGateway, type TestGateway } from './support/gateway.js';
import { eventTypes } from './support/sse.js';

/**
 * Every way a Responses exchange can end (DESIGN.md §5), streamed and not, as the operator sees
 * it: the outcome and image outcome labels, the token counters and the exchange's log line.
 */

let sim: Simulator;
let tg: TestGateway;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  tg = await startGateway(openAiConfig(sim.url));
});
afterEach(() => tg.close());

const IMAGE_TOOL = [{ type: 'image_generation', size: '1024x1024' }];

async function post(path: string, body: object, scenario?: Scenario) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (scenario) headers['x-sim-scenario'] = scenario;
  const res = await fetch(`${tg.url}${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  let text = '';
  let cut = false;
  try {
    text = await res.text();
  } catch {
    cut = true; // the gateway destroyed the connection: the upstream broke off
  }
  return { res, text, cut };
}

/** The one exchange log line of the test. */
function exchangeLine() {
  const lines = tg.exchanges();
  expect(lines).toHaveLength(1);
  return lines[0];
}

/** Expected token counters, from the simulator's defaults for a scenario (null: none sent). */
function expectedTokens(scenario: Scenario) {
  const usage = DEFAULT_USAGE[scenario];
  return usage ? { ...usage, cache_write: 0 } : null;
}

async function expectTokenSeries(route: string, tokens: Record<string, number> | null) {
  const scrape = await tg.scrape();
  for (const [kind, count] of Object.entries(tokens ?? {})) {
    expect(scrape.sum('tollgate_tokens_total', { route, token_kind: kind }), kind).toBe(count);
  }
  if (!tokens) expect(scrape.select('tollgate_tokens_total')).toEqual([]);
}

interface Case {
  scenario: Scenario;
  image: boolean;
  outcome: string;
  imageOutcome?: string;
  reason?: string;
  cut?: boolean;
}

const STREAM_CASES: Case[] = [
  { scenario: 'text', image: false, outcome: 'success' },
  { scenario: 'reasoning', image: false, outcome: 'success' },
  { scenario: 'tool_call', image: false, outcome: 'success' },
  {
    scenario: 'image',
    image: true,
    outcome: 'success',
    imageOutcome: 'success',
    reason: 'completed',
  },
  {
    scenario: 'image_fallback',
    image: true,
    outcome: 'success',
    imageOutcome: 'failed',
    reason: 'no_image_tokens',
  },
  {
    scenario: 'incomplete',
    image: true,
    outcome: 'incomplete',
    imageOutcome: 'failed',
    reason: 'incomplete',
  },
  {
    scenario: 'failed',
    image: true,
    outcome: 'upstream_error',
    imageOutcome: 'failed',
    reason: 'upstream_error',
  },
  { scenario: 'error_event', image: false, outcome: 'upstream_error' },
  {
    scenario: 'premature_close',
    image: true,
    outcome: 'incomplete',
    imageOutcome: 'failed',
    reason: 'incomplete',
  },
  { scenario: 'reset', image: false, outcome: 'incomplete', cut: true },
];

describe('streaming /v1/responses endings', () => {
  for (const c of STREAM_CASES) {
    it(`${c.scenario}${c.image ? ' with an image tool' : ''} ends as ${c.outcome}`, async () => {
      const body = {
        model: 'gpt-5.5',
        input: 'hi',
        stream: true,
        ...(c.image ? { tools: IMAGE_TOOL } : {}),
      };
      const { res, cut } = await post('/v1/responses', body, c.scenario);
      expect(res.status).toBe(200);
      expect(cut).toBe(c.cut ?? false);

      const line = exchangeLine();
      expect(line).toMatchObject({
        route: '/v1/responses',
        model: 'gpt-5.5',
        outcome: c.outcome,
        status: '200',
      });
      expect(line.image_outcome).toBe(c.imageOutcome);
      expect(line.image_reason).toBe(c.reason);
      await expectTokenSeries('/v1/responses', expectedTokens(c.scenario));

      const scrape = await tg.scrape();
      expect(scrape.one('tollgate_requests_total', { outcome: c.outcome }).labels).toEqual({
        route: '/v1/responses',
        model: 'gpt-5.5',
        account: 'team-a',
        client: 'anonymous',
        outcome: c.outcome,
        status_code: '200',
      });
      if (c.imageOutcome) {
        const image = scrape.one('tollgate_image_requests_total', {});
        expect(image.labels).toEqual({
          model: 'gpt-5.5',
          account: 'team-a',
          client: 'anonymous',
          image_outcome: c.imageOutcome,
          reason: c.reason,
        });
        expect(image.value).toBe(1);
      } else {
        expect(scrape.select('tollgate_image_requests_total')).toEqual([]);
      }
    });
  }

  it('measures time to first token on streams, from the first generated content', async () => {
    await post('/v1/responses', { model: 'gpt-5.5', input: 'hi', stream: true }, 'text');
    const line = exchangeLine();
    expect(line.ttft_ms).toBeGreaterThan(0);
    expect(line.ttft_ms as number).toBeLessThanOrEqual(line.duration_ms as number);
    const ttft = (await tg.scrape()).one('tollgate_time_to_first_token_seconds', {
      route: '/v1/responses',
    });
    expect(ttft.count).toBe(1);
  });
});

describe('non-streaming /v1/responses', () => {
  it('meters the JSON body of an image answer, with the official SDK as the client', async () => {
    const client = new OpenAI({ baseURL: `${tg.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const response = await client.responses.create({
      model: 'gpt-5.4-mini',
      input: 'draw a cat',
      tools: IMAGE_TOOL as never,
    });
    expect(response.output.some((item) => item.type === 'image_generation_call')).toBe(true);
    expect(exchangeLine()).toMatchObject({
      outcome: 'success',
      stream: false,
      image_outcome: 'success',
    });
    await expectTokenSeries('/v1/responses', expectedTokens('image'));
    const scrape = await tg.scrape();
    expect(scrape.select('tollgate_time_to_first_token_seconds')).toEqual([]);
  });

  it('reads status "incomplete" of the JSON body as an incomplete exchange', async () => {
    await post('/v1/responses', { model: 'gpt-5.5', input: 'hi' }, 'incomplete');
    expect(exchangeLine()).toMatchObject({ outcome: 'incomplete', status: '200' });
    await expectTokenSeries('/v1/responses', expectedTokens('incomplete'));
  });
});

describe('/v1/responses/compact', () => {
  it('gives an image request the compact_route reason, however it ends', async () => {
    const { res } = await post('/v1/responses/compact', {
      model: 'gpt-5.5',
      input: [],
      tools: IMAGE_TOOL,
    });
    expect(res.status).toBe(200);
    expect(exchangeLine()).toMatchObject({
      route: '/v1/responses/compact',
      image_outcome: 'failed',
      image_reason: 'compact_route',
    });
  });
});

describe('the stream reaches the client as the upstream sent it', () => {
  it('passes every event, in order, through the official SDK', async () => {
    const client = new OpenAI({ baseURL: `${tg.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.responses.create({
      model: 'gpt-5.5',
      input: 'hi',
      stream: true,
      tools: IMAGE_TOOL as never,
    });
    const seen: string[] = [];
    for await (const event of stream) seen.push(event.type);
    const { text } = await post('/v1/responses', {
      model: 'gpt-5.5',
      input: 'hi',
      stream: true,
      tools: IMAGE_TOOL,
    });
    expect(seen).toEqual(eventTypes(text));
    expect(seen.at(-1)).toBe('response.completed');
    expect(seen).toContain('response.image_generation_call.partial_image');
  });

  it('sends the client exactly the bytes the upstream wrote, compressed ones included', async () => {
    sim.reset();
    for (const encoding of [undefined, 'gzip']) {
      const res = await request(`${tg.url}/v1/responses`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-sim-scenario': 'image',
          ...(encoding ? { 'accept-encoding': encoding } : {}),
        },
        body: JSON.stringify({ model: 'gpt-5.5', input: 'hi', stream: true, tools: IMAGE_TOOL }),
      });
      const received = Buffer.from(await res.body.arrayBuffer());
      const upstream = sim.requests.at(-1)!;
      expect(res.headers['content-encoding']).toBe(encoding);
      expect(received.equals(Buffer.concat(upstream.sent))).toBe(true);
    }
    const tokens = (await tg.scrape()).sum('tollgate_tokens_total', { token_kind: 'image_out' });
    expect(tokens).toBe(2 * DEFAULT_USAGE.image!.image_out);
  });
});
