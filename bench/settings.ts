import { parseArgs } from 'node:util';
import { WORKLOADS } from './workloads.js';

/** How long and how hard the benchmark loads each target. */
interface Load {
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

export interface Settings extends Load {
  /** `--workloads "name,name"`: only these workloads, without the memory runs; the whole suite
   * when absent. */
  workloads?: readonly string[];
}

/**
 * Defaults keep a whole run under twenty minutes: the four core workloads on four targets at
 * full speed and at the same load, four more on two, at 16 connections and at one,
 * 5 rounds of 2 s each; then 1,000 slow streams of 20 s on two targets and 60 s of steady load
 * on Tollgate. Five short rounds rather than three longer ones: costs are medians of the
 * rounds' own comparisons, and on a shared machine more of them steady the median more than
 * longer rounds steady each one.
 */
const DEFAULTS: Load = {
  connections: 16,
  duration: 2,
  rounds: 5,
  warmup: 1,
  streams: 1000,
  streamSeconds: 20,
  soak: 60,
  soakConnections: 32,
};

/** `--quick`: the same suite in about two minutes, to check it works, not to quote. */
const QUICK: Partial<Load> = {
  duration: 1,
  rounds: 3,
  warmup: 0.5,
  streams: 200,
  streamSeconds: 4,
  soak: 8,
};

const FIELDS = Object.keys(DEFAULTS) as (keyof Load)[];
const COUNTS = new Set<keyof Load>(['connections', 'rounds', 'streams', 'soakConnections']);

/** `--connections N --stream-seconds S ...` (or BENCH_CONNECTIONS, BENCH_STREAM_SECONDS and so
 * on), `--workloads "name,name"` (BENCH_WORKLOADS) and `--quick`. */
export function readSettings(argv = process.argv.slice(2), env = process.env): Settings {
  const options = Object.fromEntries(
    [...FIELDS, 'workloads'].map((field) => [flag(field), { type: 'string' }] as const),
  );
  const { values } = parseArgs({
    args: argv,
    options: { ...options, quick: { type: 'boolean' } },
  });
  const given = (name: string) =>
    (values as Record<string, unknown>)[name] ??
    env[`BENCH_${name.replaceAll('-', '_').toUpperCase()}`];

  const settings: Settings = { ...DEFAULTS, ...(values.quick ? QUICK : {}) };
  for (const field of FIELDS) {
    const raw = given(flag(field));
    if (typeof raw === 'string') settings[field] = parse(field, raw);
  }
  const workloads = given('workloads');
  if (typeof workloads === 'string') settings.workloads = workloadNames(workloads);
  return settings;
}

/** `streamSeconds` is `--stream-seconds`. */
function flag(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Counts are positive integers; the others are seconds, and warm-up may be 0. */
function parse(field: keyof Load, raw: string): number {
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

/** Comma-separated names, each the name of one of `WORKLOADS`. */
function workloadNames(raw: string): string[] {
  const names = raw.split(',').map((name) => name.trim());
  const known = WORKLOADS.map((workload) => workload.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `bench: --workloads expected names among ${known.map((n) => `"${n}"`).join(', ')}, ` +
        `got "${raw}"`,
    );
  }
  return names;
}

/** The throughput concurrency, then one connection for latency; once if they are the same. */
export function connectionLevels(settings: Settings): number[] {
  return [...new Set([settings.connections, 1])];
}
