import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { parseConfig } from '../src/config/load.js';
import { Gateway } from '../src/gateway.js';
import { CostEstimator } from '../src/pricing/cost.js';
import { loadPricingTable } from '../src/pricing/table.js';
import { emptyUsage, type Usage } from '../src/usage.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { getJson, respond, scratchDir, storeConfig } from './support/usage-store.js';

/**
 * Cost estimates: the formula over token kinds, the shipped table, suffix fallbacks, and what an
 * operator sees in `tollgate_cost_usd_total` and in the summary.
 */

let sim: Simulator;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
let tg: TestGateway | undefined;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.reset();
  scratch = await scratchDir();
});
afterEach(async () => {
  await tg?.close();
  tg = undefined;
  await scratch.remove();
});

const silent = { warn: () => undefined } as never;

function usage(values: Partial<Usage>): Usage {
  return { ...emptyUsage(), ...values };
}

/** A table written for the test: round prices make the expected sums easy to check by hand. */
const TEST_TABLE = `
checked: 2026-12-01
image_tool_model: painter
suffixes: ['-(?:low|high)', '-\\d{8}']
models:
  writer: { input: 2, cached_input: 0.5, cache_write: 2.5, output: 10 }
  painter: { input: 5, output: 0, image_input: 8, image_output: 30 }
  plain: { input: 1, output: 4 }
`;

async function testTable(): Promise<string> {
  const path = join(scratch.dir, 'prices.yaml');
  await writeFile(path, TEST_TABLE);
  return path;
}

describe('the cost of a known mix of tokens', () => {
  it('prices plain input, cache reads, cache writes, output and image tokens apart', async () => {
    const costs = new CostEstimator(loadPricingTable(await testTable()), silent);
    const mix = usage({
      host_in: 10_000,
      cache: 6_000,
      cache_write: 1_000,
      host_out: 2_000,
      reasoning: 1_500,
      image_in: 100,
      image_out: 1_000,
    });
    // (10000 − 6000 − 1000) × 2 + 6000 × 0.5 + 1000 × 2.5 + 2000 × 10 (reasoning is inside
    // host_out) + image tokens at the image tool model's prices: 100 × 8 + 1000 × 30.
    const micro = 3000 * 2 + 6000 * 0.5 + 1000 * 2.5 + 2000 * 10 + 100 * 8 + 1000 * 30;
    expect(costs.cost('writer', mix)).toBeCloseTo(micro / 1e6, 12);
  });

  it('defaults cached and cache-write prices to the input price', async () => {
    const costs = new CostEstimator(loadPricingTable(await testTable()), silent);
    const mix = usage({ host_in: 1000, cache: 400, cache_write: 100, host_out: 10 });
    expect(costs.cost('plain', mix)).toBeCloseTo((1000 * 1 + 10 * 4) / 1e6, 12);
  });

  it('falls back through known suffixes, one at a time', async () => {
    const costs = new CostEstimator(loadPricingTable(await testTable()), silent);
    const one = usage({ host_in: 1_000_000 });
    expect(costs.cost('writer-high', one)).toBe(2);
    expect(costs.cost('writer-20261201', one)).toBe(2);
    expect(costs.cost('writer-low-20261201', one)).toBe(2);
    expect(costs.cost('writer-xl', one)).toBe(0);
  });

  it('ships a default table that prices current OpenAI, Anthropic and Gemini models', () => {
    const costs = new CostEstimator(loadPricingTable(), silent);
    const million = usage({ host_in: 1_000_000, host_out: 1_000_000 });
    for (const model of [
      'gpt-5.5',
      'gpt-5.5-high',
      'gpt-4.1-mini',
      'gpt-image-1',
      'claude-opus-4-5',
      'claude-sonnet-4-5-20250929',
      'claude-haiku-4-5',
      'gemini-2.5-pro',
      'gemini-3-flash-preview',
    ]) {
      expect(costs.pricesFor(model), model).not.toBeNull();
    }
    expect(costs.cost('gpt-5.5', million)).toBe(35);
  });
});

describe('a malformed pricing table', () => {
  it.each([
    ['a negative price', 'models:\n  x: { input: -1, output: 1 }\n', 'models.x.input'],
    ['a missing output price', 'models:\n  x: { input: 1 }\n', 'models.x.output'],
    ['an unknown price field', 'models:\n  x: { input: 1, output: 1, outptu: 2 }\n', 'models.x'],
    ['no models', 'checked: 2026-12-01\n', 'models'],
    ['a broken suffix pattern', "suffixes: ['(']\nmodels: {}\n", 'suffixes.0'],
    ['bad YAML', 'models: [\n', 'not valid YAML'],
  ])('stops start-up with a message naming the file and field: %s', async (_, text, field) => {
    const path = join(scratch.dir, 'bad.yaml');
    await writeFile(path, text);
    const config = parseConfig({ pricing: { path }, storage: { enabled: false } });
    expect(() => new Gateway(config, { logDestination: { write: () => undefined } })).toThrow(
      new RegExp(`pricing table ${path.replace(/[.]/g, '\\.')}: .*${field.replace(/[.]/g, '\\.')}`),
    );
  });
});

describe('cost in metrics and in the summary', () => {
  it('adds the same estimate to tollgate_cost_usd_total and total_estimated_cost_usd', async () => {
    tg = await startGateway(
      storeConfig(sim.url, join(scratch.dir, 'usage.json'), ['team-a'], {
        pricing: { path: await testTable() },
      }),
    );
    const sent = {
      input_tokens: 20_000,
      input_tokens_details: { cached_tokens: 5_000 },
      output_tokens: 3_000,
    };
    await respond(tg.url, 'writer-high', { 'x-sim-usage': JSON.stringify(sent) });
    await respond(tg.url, 'writer', { 'x-sim-usage': JSON.stringify(sent) });

    const each = (15_000 * 2 + 5_000 * 0.5 + 3_000 * 10) / 1e6;
    const scrape = await tg.scrape();
    const series = scrape.select('tollgate_cost_usd_total');
    expect(series.map((s) => s.labels).sort((a, b) => a.model.localeCompare(b.model))).toEqual([
      { model: 'writer', account: 'team-a', client: 'anonymous' },
      { model: 'writer-high', account: 'team-a', client: 'anonymous' },
    ]);
    expect(series.reduce((n, s) => n + s.value, 0)).toBeCloseTo(2 * each, 9);
    const { body } = await getJson(`${tg.url}/admin/usage-stats/summary`);
    expect((body as Record<string, number>).total_estimated_cost_usd).toBe(
      Math.round(2 * each * 1e6) / 1e6,
    );
  });

  it('adds 0 for an unpriced model and warns once per model', async () => {
    tg = await startGateway(
      storeConfig(sim.url, join(scratch.dir, 'usage.json'), ['team-a'], {
        pricing: { path: await testTable() },
      }),
    );
    for (const model of ['mystery-1', 'mystery-1', 'mystery-2']) await respond(tg.url, model);

    const warnings = tg.logs.filter((l) => l.level === 40 && String(l.msg).startsWith('no price'));
    expect(warnings.map((w) => w.model)).toEqual(['mystery-1', 'mystery-2']);
    expect((await tg.scrape()).select('tollgate_cost_usd_total')).toEqual([]);
    const { body } = await getJson(`${tg.url}/admin/usage-stats/summary`);
    expect(body).toMatchObject({ total_estimated_cost_usd: 0, total_request_count: 3 });
  });
});
