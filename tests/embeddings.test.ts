import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { openAiConfig, startGateway, type TestGateway } from './support/gateway.js';

/** Embeddings through the gateway with the OpenAI SDK: prompt tokens are host input tokens. */

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

it('meters prompt tokens as host_in under the embeddings operation', async () => {
  const client = new OpenAI({ apiKey: 'sk-client', baseURL: `${tg.url}/v1`, maxRetries: 0 });
  const logged = tg.nextExchange();
  const answer = await client.embeddings.create({
    model: 'text-embedding-3-small',
    input: ['a tollgate', 'meters every exchange'],
    dimensions: 8,
  });
  expect(answer.data.map((d) => d.embedding.length)).toEqual([8, 8]);
  const promptTokens = answer.usage.prompt_tokens;
  expect(promptTokens).toBeGreaterThan(0);

  expect(await logged).toMatchObject({
    route: '/v1/embeddings',
    model: 'text-embedding-3-small',
    outcome: 'success',
    tokens: { host_in: promptTokens, host_out: 0 },
  });
  const scrape = await tg.scrape();
  expect(
    scrape.sum('tollgate_tokens_total', { route: '/v1/embeddings', token_kind: 'host_in' }),
  ).toBe(promptTokens);
  expect(
    scrape.one('gen_ai_client_token_usage', { gen_ai_token_type: 'input' }).labels
      .gen_ai_operation_name,
  ).toBe('embeddings');
  expect(scrape.select('tollgate_image_requests_total')).toEqual([]);
});
