import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchImages } from '../bench/images.js';
import { percentile } from '../bench/images-report.js';
import { checkAccounting } from './real/image-accounting.js';
import { judgeImageStream } from './real/image-checks.js';
import { combinations, describeFailures, runCombination, runMatrix } from './real/image-matrix.js';
import { imageClient, type ImageCombination } from './real/image-request.js';
import {
  DEFAULT_SETTINGS,
  settingsFromEnv,
  targetFromEnv,
  type MatrixSettings,
} from './real/matrix-settings.js';
import { startSimulatedTollgate, type SimulatedTollgate } from './real/simulated-tollgate.js';

/**
 * The image matrix of `npm run test:real` and `npm run bench:images`, run unchanged against a
 * Tollgate in front of the simulated upstream: real PNG, JPEG and WebP images pass its checks,
 * a text or SVG fallback, a short image or a wrong file fails them, and the closing accounting
 * check sees exactly one more successful image request in the admin summary and /metrics.
 */

/** Small floors (the simulator sends twice the floor) keep the run to a second or two. */
const SETTINGS: MatrixSettings = {
  ...DEFAULT_SETTINGS,
  sizes: ['1024x1024', '3840x2160'],
  formats: ['png', 'jpeg', 'webp'],
  concurrency: 2,
  rounds: 1,
  minBase64: { '1024x1024': 8_000, '3840x2160': 40_000 },
  timeoutMs: 10_000,
};
const FIRST: ImageCombination = { model: 'gpt-5.5', size: '1024x1024', format: 'png' };
const FALLBACK = { 'x-sim-scenario': 'image_fallback' };

let sim: SimulatedTollgate;

beforeAll(async () => {
  sim = await startSimulatedTollgate(SETTINGS);
});
afterAll(() => sim.close());

/** The simulation's image headers with `extra` laid over them. */
const steer = (extra: Record<string, string>) => (c: ImageCombination) => ({
  ...sim.headersFor(c),
  ...extra,
});

describe('the matrix against the simulated upstream', () => {
  it('passes every model × size × format with real PNG, JPEG and WebP images', async () => {
    const runs = await runMatrix(sim.target, SETTINGS, { headersFor: sim.headersFor });

    expect(describeFailures(runs)).toEqual([]);
    expect(runs.map((r) => r.combination)).toEqual(combinations(SETTINGS));
    expect(runs).toHaveLength(2 * 2 * 3);
    for (const { combination, results } of runs) {
      expect(results).toHaveLength(2);
      for (const result of results) {
        expect(result.kind).toBe(combination.format);
        expect(result.base64Length).toBeGreaterThanOrEqual(SETTINGS.minBase64[combination.size]);
        expect(result.image).toEqual({ input: 62, output: 1056 });
        expect(result.host).toEqual({ input: 320, output: 140 });
        expect(result.firstEventMs).toBeLessThanOrEqual(result.latencyMs);
      }
    }
    // What reached the upstream: the streamed request with the tool as configured.
    const tools = sim.simulator.requests.map((r) => (r.json as Record<string, unknown>).tools);
    expect(tools).toContainEqual([
      { type: 'image_generation', size: '3840x2160', output_format: 'webp' },
    ]);
  });

  it('times slow generation: the first event and each image wait for it', async () => {
    const client = imageClient(sim.target, SETTINGS);
    const run = await runCombination(
      client,
      SETTINGS,
      FIRST,
      steer({ 'x-sim-image-delay-ms': '120' }),
    );

    expect(describeFailures([run])).toEqual([]);
    for (const result of run.results) {
      expect(result.firstEventMs).toBeGreaterThanOrEqual(115);
      // Before the first event, the one partial image and the final image.
      expect(result.latencyMs).toBeGreaterThanOrEqual(3 * 115);
    }
  });

  it('fails a text and SVG fallback, which Tollgate counts as a failed image request', async () => {
    const client = imageClient(sim.target, SETTINGS);
    const run = await runCombination(client, SETTINGS, FIRST, steer(FALLBACK));

    expect(run.results).toHaveLength(2);
    for (const result of run.results) {
      expect(result.failures).toEqual([
        'no response.image_generation_call.generating event',
        'no response.output_item.done event with an image_generation_call item',
        expect.stringMatching(/^no image in the answer: the model answered in text \(an SVG\): "/),
        'response.completed has no tool_usage.image_gen.output_tokens above 0',
      ]);
    }
    expect(describeFailures([run])).toHaveLength(2);
    const scrape = await sim.gateway.scrape();
    expect(
      scrape.sum('tollgate_image_requests_total', {
        image_outcome: 'failed',
        reason: 'no_image_tokens',
      }),
    ).toBe(2);
  });

  it('fails an image under the size floor', async () => {
    const client = imageClient(sim.target, SETTINGS);
    const run = await runCombination(
      client,
      SETTINGS,
      FIRST,
      steer({ 'x-sim-image-bytes': '4000' }),
    );

    for (const result of run.results) {
      expect(result.failures).toEqual([
        expect.stringMatching(/^image is [34]\d{3} characters of base64, under the floor of 8000$/),
      ]);
    }
  });
});

describe('the per-request checks', () => {
  const completed = { tool_usage: { image_gen: { input_tokens: 1, output_tokens: 9 } } };
  const record = (result: string) => ({
    types: [
      'response.created',
      'response.image_generation_call.generating',
      'response.output_item.done',
      'response.completed',
    ],
    imageItem: { type: 'image_generation_call', result },
    response: completed,
    text: '',
  });
  const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');

  it('fails an image item that holds an SVG, and a JPEG asked as PNG', () => {
    const svg = judgeImageStream(record(b64('<svg xmlns="http://www.w3.org/2000/svg"/>')), {
      minBase64: 0,
    });
    expect(svg.failures).toEqual([
      'image is not PNG, JPEG, WebP or GIF: it starts with "<svg xmlns=\\"http"',
    ]);
    const jpeg = b64(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]));
    expect(judgeImageStream(record(jpeg), { minBase64: 0, format: 'png' }).failures).toEqual([
      'image is jpeg, but output_format asked for png',
    ]);
  });

  it('accepts GIF magic, and fails a stream that ends without response.completed', () => {
    const gif = judgeImageStream(record(b64('GIF89a\x01\x00\x01\x00')), { minBase64: 0 });
    expect(gif).toMatchObject({ failures: [], kind: 'gif', imageBytes: 10 });

    const cut = record(b64('GIF87a'));
    cut.types = cut.types.slice(0, 3);
    expect(judgeImageStream({ ...cut, response: undefined }, { minBase64: 0 }).failures).toEqual([
      'no response.completed event',
      'stream ended with response.output_item.done, not response.completed',
      'response.completed has no tool_usage.image_gen.output_tokens above 0',
    ]);
  });
});

describe('the closing accounting check', () => {
  it('sees +1 successful image request and its tokens in the summary and /metrics', async () => {
    const check = await checkAccounting(sim.target, SETTINGS, sim.headersFor);

    expect(check.failures).toEqual([]);
    const exact = { imageOutTokens: 1056, succeeded: 1, failed: 0 };
    expect(check.delta).toEqual({ summary: exact, metrics: exact });
    expect(check.image.image.output).toBe(1056);
  });

  it('fails when the closing image falls back to text', async () => {
    const check = await checkAccounting(sim.target, SETTINGS, steer(FALLBACK));

    const failed = { imageOutTokens: 0, succeeded: 0, failed: 1 };
    expect(check.delta).toEqual({ summary: failed, metrics: failed });
    expect(check.failures).toEqual(
      expect.arrayContaining([
        'admin summary: image output tokens moved by 0, expected more',
        'admin summary: successful image requests moved by 0, expected 1',
        'admin summary: failed image requests moved by 1, expected 0',
        '/metrics: successful image requests moved by 0, expected 1',
        '/metrics: failed image requests moved by 1, expected 0',
      ]),
    );
  });
});

describe('npm run bench:images', () => {
  it('renders a latency and a usage table with a row per combination', async () => {
    const settings = { ...SETTINGS, formats: ['png'], sizes: ['1024x1024'] };
    const bench = await benchImages(sim.target, settings, 'the simulated upstream', sim.headersFor);

    expect(bench.failures).toEqual([]);
    const rows = bench.report.split('\n').filter((line) => /^\| gpt-/.test(line));
    expect(rows).toHaveLength(4);
    const [latency, usage] = [rows.slice(0, 2), rows.slice(2)];
    for (const row of latency) {
      const cells = row.split('|').map((cell) => cell.trim());
      expect(cells.slice(1, 5)).toEqual([
        expect.stringMatching(/^gpt-5/),
        '1024x1024',
        'png',
        '2/2',
      ]);
      const [min, p50, p95, max, first] = cells.slice(5, 10).map(Number);
      expect(min).toBeGreaterThan(0);
      expect([min, p50, p95, max]).toEqual([min, p50, p95, max].sort((a, b) => a - b));
      expect(first).toBeLessThanOrEqual(max);
    }
    expect(usage[0]).toMatch(
      /^\| gpt-5\.4-mini \| 1024x1024 \| png \| 12,\d{3} \| 320 \| 140 \| 62 \| 1,056 \|$/,
    );
    expect(bench.report).toContain('## Latency (seconds)');
    expect(bench.report).toContain('## Images and tokens');
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 20 }, (_, i) => 20 - i);
    expect([0, 50, 95, 100].map((p) => percentile(values, p))).toEqual([1, 10, 19, 20]);
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe('settings from the environment', () => {
  it('defaults to 2 models × 2 sizes, 2 concurrent × 2 rounds, floors of 50 and 500 kB', () => {
    expect(settingsFromEnv({})).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({
      models: ['gpt-5.4-mini', 'gpt-5.5'],
      sizes: ['1024x1024', '3840x2160'],
      concurrency: 2,
      rounds: 2,
      minBase64: { '1024x1024': 50_000, '3840x2160': 500_000 },
    });
  });

  it('reads every TOLLGATE_IMAGE_* variable and names a bad one', () => {
    const settings = settingsFromEnv({
      TOLLGATE_IMAGE_MODELS: 'gpt-image-1, gpt-5',
      TOLLGATE_IMAGE_SIZES: '1536x1024',
      TOLLGATE_IMAGE_FORMATS: 'webp',
      TOLLGATE_IMAGE_CONCURRENCY: '4',
      TOLLGATE_IMAGE_ROUNDS: '3',
      TOLLGATE_IMAGE_MIN_B64: '1536x1024=70000',
    });
    expect(settings).toMatchObject({
      models: ['gpt-image-1', 'gpt-5'],
      sizes: ['1536x1024'],
      formats: ['webp'],
      concurrency: 4,
      rounds: 3,
      minBase64: { '1024x1024': 50_000, '3840x2160': 500_000, '1536x1024': 70_000 },
    });
    expect(() => settingsFromEnv({ TOLLGATE_IMAGE_ROUNDS: '0' })).toThrow(
      'TOLLGATE_IMAGE_ROUNDS: expected a positive integer, got "0"',
    );
    expect(() => settingsFromEnv({ TOLLGATE_IMAGE_MIN_B64: '1024x1024' })).toThrow(
      'TOLLGATE_IMAGE_MIN_B64: expected SIZE=CHARS',
    );
  });

  it('needs the URL, client key and admin token of the live Tollgate', () => {
    expect(targetFromEnv({ TOLLGATE_URL: 'http://gw:8080/v1/' })).toEqual({
      missing: ['TOLLGATE_CLIENT_KEY', 'TOLLGATE_ADMIN_TOKEN'],
    });
    const env = {
      TOLLGATE_URL: 'http://gw:8080/v1/',
      TOLLGATE_CLIENT_KEY: 'k',
      TOLLGATE_ADMIN_TOKEN: 't',
    };
    expect(targetFromEnv(env)).toEqual({
      url: 'http://gw:8080',
      clientKey: 'k',
      adminToken: 't',
      metricsPath: '/metrics',
    });
  });
});
