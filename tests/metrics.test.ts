import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { Buckets } from '../src/telemetry/vocabulary.js';
import { openAiConfig, startGateway, type TestGateway } from './support/gateway.js';

/**
 * The metric contract that dashboards, alerts and PromQL depend on: series names, types, exact
 * label sets, bucket boundaries and label bounds. A rename or a new label fails here first.
 */

let sim: Simulator;
let tg: TestGateway | undefined;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
afterEach(async () => {
  await tg?.close();
  tg = undefined;
});

async function respond(model: string | undefined, stream = true): Promise<void> {
  const body = { input: 'hi', stream, ...(model === undefined ? {} : { model }) };
  const res = await fetch(`${tg!.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.text();
}

const WHO = ['route', 'model', 'account', 'client'];

const CONTRACT: Record<string, { type: string; labels: string[] }> = {
  tollgate_requests_total: { type: 'counter', labels: [...WHO, 'outcome', 'status_code'] },
  tollgate_tokens_total: { type: 'counter', labels: [...WHO, 'token_kind'] },
  tollgate_cost_usd_total: { type: 'counter', labels: ['model', 'account', 'client'] },
  tollgate_request_duration_seconds: {
    type: 'histogram',
    labels: [...WHO, 'outcome', 'image_outcome'],
  },
  tollgate_time_to_first_token_seconds: { type: 'histogram', labels: WHO },
  tollgate_upstream_attempts_total: { type: 'counter', labels: ['account', 'status_code'] },
  tollgate_requests_active: { type: 'gauge', labels: ['route'] },
  tollgate_account_available: { type: 'gauge', labels: ['account'] },
  tollgate_account_ratelimit_remaining: { type: 'gauge', labels: ['account', 'resource'] },
  tollgate_account_ratelimit_limit: { type: 'gauge', labels: ['account', 'resource'] },
  tollgate_account_ratelimit_reset_seconds: { type: 'gauge', labels: ['account', 'resource'] },
  tollgate_account_quota_used_ratio: { type: 'gauge', labels: ['account', 'window'] },
  tollgate_account_quota_reset_seconds: { type: 'gauge', labels: ['account', 'window'] },
  gen_ai_client_token_usage: {
    type: 'histogram',
    labels: [
      'gen_ai.operation.name',
      'gen_ai.provider.name',
      'gen_ai.request.model',
      'gen_ai.token.type',
    ].map((l) => l.replaceAll('.', '_')),
  },
  gen_ai_client_operation_duration: {
    type: 'histogram',
    labels: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'],
  },
  tollgate_store_flush_failures_total: { type: 'counter', labels: [] },
  tollgate_config_reloads_total: { type: 'counter', labels: ['result'] },
  process_memory_usage: { type: 'gauge', labels: [] },
  process_cpu_time_total: { type: 'counter', labels: ['cpu_mode'] },
  nodejs_eventloop_utilization: { type: 'gauge', labels: [] },
  v8js_memory_heap_used: { type: 'gauge', labels: ['v8js_heap_space_name'] },
};

const CODEX_HEADERS = {
  'x-codex-primary-used-percent': '12',
  'x-codex-primary-window-minutes': '300',
  'x-codex-primary-reset-at': String(Math.floor(Date.now() / 1000) + 600),
  'x-codex-secondary-used-percent': '3',
  'x-codex-secondary-window-minutes': '10080',
  'x-codex-secondary-reset-at': String(Math.floor(Date.now() / 1000) + 6000),
};

function bucketBounds(bounds: readonly number[]): string[] {
  return [...bounds.map(String), '+Inf'];
}

describe('series names, types and label sets', () => {
  it('match the documented contract after a streamed exchange', async () => {
    tg = await startGateway(openAiConfig(sim.url));
    // An answer from the Codex backend also states its quota windows.
    sim.failNext({ status: 200, headers: CODEX_HEADERS, body: { status: 'completed' } });
    await respond('gpt-5.5');
    await respond('gpt-5.5');
    const scrape = await tg.scrape();
    for (const [name, { type, labels }] of Object.entries(CONTRACT)) {
      expect(scrape.types.get(name), name).toBe(type);
      for (const series of scrape.select(name)) {
        expect(Object.keys(series.labels).sort(), name).toEqual([...labels].sort());
      }
    }
    expect(scrape.one('tollgate_upstream_attempts_total', {}).labels).toEqual({
      account: 'team-a',
      status_code: '200',
    });
    expect(scrape.one('tollgate_account_available', {})).toEqual({
      labels: { account: 'team-a' },
      value: 1,
    });
    expect(scrape.one('tollgate_requests_active', {}).value).toBe(0);
    const tokens = scrape.select('gen_ai_client_token_usage');
    expect(tokens.map((s) => s.labels.gen_ai_token_type).sort()).toEqual(['input', 'output']);
    expect(tokens[0].labels).toMatchObject({
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-5.5',
    });
  });

  it('uses explicit buckets: durations to 300 s, first token to 60 s, tokens in powers of 4', async () => {
    tg = await startGateway(openAiConfig(sim.url));
    await respond('gpt-5.5');
    const scrape = await tg.scrape();
    const bound = (le: string) => (le === '+Inf' ? Infinity : Number(le));
    const keys = (name: string) =>
      Object.keys(scrape.select(name)[0].buckets!).sort((a, b) => bound(a) - bound(b));
    expect(keys('tollgate_request_duration_seconds')).toEqual(
      bucketBounds(Buckets.durationSeconds),
    );
    expect(keys('tollgate_time_to_first_token_seconds')).toEqual(
      bucketBounds(Buckets.timeToFirstTokenSeconds),
    );
    expect(keys('gen_ai_client_token_usage')).toEqual(bucketBounds(Buckets.tokens));
    expect(Buckets.durationSeconds.at(0)).toBe(0.01);
    expect(Buckets.durationSeconds.at(-1)).toBe(300);
    expect(Buckets.timeToFirstTokenSeconds.at(0)).toBe(0.005);
    expect(Buckets.timeToFirstTokenSeconds.at(-1)).toBe(60);
    expect(Buckets.tokens.every((b, i) => b === 4 ** i)).toBe(true);
  });
});

describe('the model label is bounded', () => {
  it('keeps allow-listed models, folds the rest into other, and names none as unknown', async () => {
    tg = await startGateway(openAiConfig(sim.url, { metrics: { model_labels: ['gpt-5.5'] } }));
    await respond('gpt-5.5', false);
    await respond('made-up-model', false);
    await respond(undefined, false);
    const models = (await tg.scrape())
      .select('tollgate_requests_total')
      .map((s) => s.labels.model)
      .sort();
    expect(models).toEqual(['gpt-5.5', 'other', 'unknown']);
  });

  it('without an allow-list keeps the first max_models names seen', async () => {
    tg = await startGateway(openAiConfig(sim.url, { metrics: { max_models: 2 } }));
    for (const model of ['m-1', 'm-2', 'm-3', 'm-1', 'x'.repeat(10_000)])
      await respond(model, false);
    const scrape = await tg.scrape();
    expect(scrape.sum('tollgate_requests_total', { model: 'm-1' })).toBe(2);
    expect(scrape.sum('tollgate_requests_total', { model: 'm-2' })).toBe(1);
    expect(scrape.sum('tollgate_requests_total', { model: 'other' })).toBe(2);
    expect(scrape.text).not.toContain('xxxxxxxxxx');
  });
});
