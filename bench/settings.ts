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
  /** Slow streams held open at once. */
  streams: number;
  /** Seconds each slow stream lasts (one event every 200 ms). */
  streamSeconds: number;
  /** Seconds of the steady-load memory run. */
  soak: number;
  /** Connections of the steady-load memory run. */
  soakConnections: number;
}

/**
 * Defaults keep a whole run under ten minutes: the three core workloads on four targets, four
 * more on two, at 16 connections and at one, 3 rounds of 3 s each; then 1,000 slow streams of
 * 20 s on two targets and 60 s of steady load on Tollgate.
 */
const DEFAULTS: Settings = {
  connections: 16,
  duration: 3,
  rounds: 3,
  warmup: 1,
  streams: 1000,
  streamSeconds: 20,
  soak: 60,
  soakConnections: 32,
};

/** `--quick`: the same suite in about two minutes, to check it works, not to quote. */
const QUICK: Partial<Settings> = {
  duration: 1,
  warmup: 0.5,
  streams: 200,
  streamSeconds: 4,
  soak: 8,
};

const FIELDS = Object.keys(DEFAULTS) as (keyof Settings)[];
const COUNTS = new Set<keyof Settings>(['connections', 'rounds', 'streams', 'soakConnections']);

/** `--connections N --stream-seconds S ...` (or BENCH_CONNECTIONS, BENCH_STREAM_SECONDS and so
 * on), and `--quick`. */
export function readSettings(argv = process.argv.slice(2), env = process.env): Settings {
  const options = Object.fromEntries(
    FIELDS.map((field) => [flag(field), { type: 'string' }] as const),
  );
  const { values } = parseArgs({
    args: argv,
    options: { ...options, quick: { type: 'boolean' } },
  });
  const settings = { ...DEFAULTS, ...(values.quick ? QUICK : {}) };
  for (const field of FIELDS) {
    const name = flag(field);
    const raw =
      (values as Record<string, unknown>)[name] ??
      env[`BENCH_${name.replaceAll('-', '_').toUpperCase()}`];
    if (typeof raw === 'string') settings[field] = parse(field, raw);
  }
  return settings;
}

/** `streamSeconds` is `--stream-seconds`. */
function flag(field: keyof Settings): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Counts are positive integers; the others are seconds, and warm-up may be 0. */
function parse(field: keyof Settings, raw: string): number {
  const value = Number(raw);
  const count = COUNTS.has(field);
  const valid = count
    ? Number.isInteger(value) && value > 0
    : Number.isFinite(value) && (value > 0 || (field === 'warmup' && value === 0));
  if (!valid) {
    const expected = count ? 'a positive integer' : 'a number of seconds';
    throw new Error(`bench: --${flag(field)} expected ${expected}, got "${raw}"`);
  }
  return value;
}

/** The throughput concurrency, then one connection for latency; once if they are the same. */
export function connectionLevels(settings: Settings): number[] {
  return [...new Set([settings.connections, 1])];
}
