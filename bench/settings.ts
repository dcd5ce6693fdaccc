import { parseArgs } from 'node:util';

/** How long and how hard the benchmark loads each target. */
export interface Settings {
  /** Concurrent connections of the throughput runs. */
  connections: number;
  /** Seconds per measured run. */
  duration: number;
  /** Measured runs per workload, target and connection count. */
  rounds: number;
  /** Seconds of unmeasured load per workload and target before the rounds. */
  warmup: number;
}

/**
 * Defaults keep a whole run near 1.5 minutes with two workloads: per workload, 2 targets ×
 * (2 s warm-up + 3 rounds × 4 s at `connections` + 3 rounds × 4 s at one connection).
 */
const DEFAULTS: Settings = { connections: 16, duration: 4, rounds: 3, warmup: 2 };

const FIELDS = Object.keys(DEFAULTS) as (keyof Settings)[];

/** `--connections N --duration S --rounds N --warmup S`, or BENCH_CONNECTIONS and so on. */
export function readSettings(argv = process.argv.slice(2), env = process.env): Settings {
  const options = Object.fromEntries(FIELDS.map((field) => [field, { type: 'string' }] as const));
  const { values } = parseArgs({ args: argv, options });
  const settings = { ...DEFAULTS };
  for (const field of FIELDS) {
    const raw = values[field] ?? env[`BENCH_${field.toUpperCase()}`];
    if (raw !== undefined) settings[field] = parse(field, raw);
  }
  return settings;
}

/** Connections and rounds are counts; duration and warm-up are seconds, and warm-up may be 0. */
function parse(field: keyof Settings, raw: string): number {
  const value = Number(raw);
  const count = field === 'connections' || field === 'rounds';
  const valid = count
    ? Number.isInteger(value) && value > 0
    : Number.isFinite(value) && (value > 0 || (field === 'warmup' && value === 0));
  if (!valid) {
    const expected = count ? 'a positive integer' : 'a number of seconds';
    throw new Error(`bench: --${field} expected ${expected}, got "${raw}"`);
  }
  return value;
}

/** The throughput concurrency, then one connection for latency; once if they are the same. */
export function connectionLevels(settings: Settings): number[] {
  return [...new Set([settings.connections, 1])];
}
