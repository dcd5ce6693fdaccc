/**
 * What the image matrix runs, read from the environment so the same code drives the live test,
 * the benchmark and the simulated run: which Tollgate, which models and sizes, how hard, and
 * the smallest image each size may return.
 */

/** Where the Tollgate under test listens and the keys it takes. */
export interface TollgateTarget {
  /** Base URL without the `/v1` prefix, e.g. `http://127.0.0.1:8080`. */
  url: string;
  clientKey: string;
  adminToken: string;
  /** Tollgate's `metrics.path`. */
  metricsPath: string;
}

export interface MatrixSettings {
  models: string[];
  sizes: string[];
  /** The tool's `output_format` per combination. */
  formats: string[];
  /** Requests in flight at once, per combination. */
  concurrency: number;
  /** How many times each combination sends `concurrency` requests. */
  rounds: number;
  /** Smallest acceptable length of an image's base64, by size. */
  minBase64: Record<string, number>;
  prompt: string;
  /** Gives up on one request after this long. */
  timeoutMs: number;
}

export const DEFAULT_SETTINGS: Readonly<MatrixSettings> = {
  models: ['gpt-5.4-mini', 'gpt-5.5'],
  sizes: ['1024x1024', '3840x2160'],
  formats: ['png'],
  concurrency: 2,
  rounds: 2,
  // Flat pictures compress well: a real 1024x1024 PNG is rarely under 100 kB of base64.
  minBase64: { '1024x1024': 50_000, '3840x2160': 500_000 },
  prompt: 'A flat, simple illustration of a tollgate on a country road at noon.',
  timeoutMs: 600_000,
};

/** The floor for a size the settings do not name: 50,000 characters per 1024x1024 pixels. */
const FLOOR_PER_MEGAPIXEL = 50_000 / (1024 * 1024);

type Env = Record<string, string | undefined>;

/** The live Tollgate named by `TOLLGATE_URL`, `TOLLGATE_CLIENT_KEY` and
 * `TOLLGATE_ADMIN_TOKEN`, or the names of the variables that are missing. */
export function targetFromEnv(env: Env = process.env): TollgateTarget | { missing: string[] } {
  const names = ['TOLLGATE_URL', 'TOLLGATE_CLIENT_KEY', 'TOLLGATE_ADMIN_TOKEN'] as const;
  const missing = names.filter((name) => !env[name]);
  if (missing.length > 0) return { missing };
  return {
    url: env.TOLLGATE_URL!.replace(/\/+$/, '').replace(/\/v1$/, ''),
    clientKey: env.TOLLGATE_CLIENT_KEY!,
    adminToken: env.TOLLGATE_ADMIN_TOKEN!,
    metricsPath: env.TOLLGATE_METRICS_PATH ?? '/metrics',
  };
}

/** The defaults, with every `TOLLGATE_IMAGE_*` variable that is set laid over them. */
export function settingsFromEnv(env: Env = process.env): MatrixSettings {
  const d = DEFAULT_SETTINGS;
  return {
    models: list(env.TOLLGATE_IMAGE_MODELS) ?? d.models,
    sizes: list(env.TOLLGATE_IMAGE_SIZES) ?? d.sizes,
    formats: list(env.TOLLGATE_IMAGE_FORMATS) ?? d.formats,
    concurrency: count('TOLLGATE_IMAGE_CONCURRENCY', env.TOLLGATE_IMAGE_CONCURRENCY, d.concurrency),
    rounds: count('TOLLGATE_IMAGE_ROUNDS', env.TOLLGATE_IMAGE_ROUNDS, d.rounds),
    minBase64: { ...d.minBase64, ...floors(env.TOLLGATE_IMAGE_MIN_B64) },
    prompt: env.TOLLGATE_IMAGE_PROMPT || d.prompt,
    timeoutMs: count('TOLLGATE_IMAGE_TIMEOUT_MS', env.TOLLGATE_IMAGE_TIMEOUT_MS, d.timeoutMs),
  };
}

/** The base64 floor for `size`: the configured one, else in proportion to its pixels. */
export function floorFor(settings: MatrixSettings, size: string): number {
  const configured = settings.minBase64[size];
  if (configured !== undefined) return configured;
  const match = /^(\d+)x(\d+)$/.exec(size);
  const pixels = match ? Number(match[1]) * Number(match[2]) : 1024 * 1024;
  return Math.round(pixels * FLOOR_PER_MEGAPIXEL);
}

function list(value: string | undefined): string[] | undefined {
  const items = (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length > 0 ? items : undefined;
}

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`${name}: expected a positive integer, got "${value}"`);
  return n;
}

/** `1024x1024=50000,3840x2160=500000`: a floor per size, in characters of base64. */
function floors(value: string | undefined): Record<string, number> {
  const result: Record<string, number> = {};
  for (const entry of list(value) ?? []) {
    const [size, chars] = entry.split('=');
    const n = Number(chars);
    if (!size || !Number.isSafeInteger(n) || n < 0) {
      throw new Error(`TOLLGATE_IMAGE_MIN_B64: expected SIZE=CHARS, got "${entry}"`);
    }
    result[size.trim()] = n;
  }
  return result;
}
