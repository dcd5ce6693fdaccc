import { halves, type MemoryRuns, type SlowStreamsResult, type SoakResult } from './memory.js';
import { median, type Summary } from './summary.js';
import type { TargetName } from './targets.js';
import { WORKLOADS, type Workload } from './workloads.js';

/** The targets the numbers are held to, all as Tollgate (everything on) against the
 * pass-through in the same run. */
export const GOALS = {
  minThroughput: { core: 0.9, image: 0.85, protocols: 0.85 },
  maxCpuRatio: 1.2,
  maxAddedP50Ms: 0.5,
  maxAddedTtfeMs: 0.5,
  maxImageRssRatio: 1.5,
  maxStreamBytes: 50_000,
  /** The steady load's last quarter against its second: more is growth, not noise. */
  maxSoakGrowth: 0.05,
  maxStoreCost: 0.05,
  maxTracingCost: 0.1,
} as const;

/** Above this the load generator, one event loop on one core, is what limits the rate. */
const HARNESS_BOUND_PERCENT = 90;

export type GoalRow = [workload: string, measure: string, value: string, goal: string, met: string];

export function goalRows(
  summaries: readonly Summary[],
  connections: number,
  memory: MemoryRuns | null,
): GoalRow[] {
  return [
    ...WORKLOADS.flatMap((workload) => [
      ...loadedGoals(workload, summaries, connections),
      ...singleConnectionGoals(workload, summaries),
    ]),
    ...(memory ? memoryGoals(memory) : []),
  ];
}

/** Throughput for every workload; CPU, store and tracing costs for the core ones; memory for
 * the images. */
function loadedGoals(workload: Workload, summaries: readonly Summary[], connections: number) {
  const at = (target: TargetName) => find(summaries, workload.name, connections, target);
  const [pt, tg] = [at('pass-through'), at('tollgate')];
  if (!pt || !tg) return [];
  const row = rowOf(workload.name);
  const min = GOALS.minThroughput[workload.group];
  const harness = Math.max(pt.harnessCpuPercent, tg.harnessCpuPercent);
  const rps = tg.rps / pt.rps;
  const rows = [row(`req/s at ${connections} connections`, times(rps), `≥ ${min}×`, rps >= min)];
  if (harness >= HARNESS_BOUND_PERCENT) {
    rows[0][4] = `not conclusive: load generator at ${harness.toFixed(0)} %`;
  }
  if (workload.group === 'core') rows.push(...costGoals(workload.name, summaries, connections));
  if (workload.group === 'image') {
    const rss = tg.peakRssBytes / pt.peakRssBytes;
    const max = GOALS.maxImageRssRatio;
    rows.push(row('peak RSS', times(rss), `≤ ${max}×`, rss <= max));
  }
  return rows;
}

/** Added latency, and for streams added time to first event, at one connection. */
function singleConnectionGoals(workload: Workload, summaries: readonly Summary[]): GoalRow[] {
  const pt = find(summaries, workload.name, 1, 'pass-through');
  const tg = find(summaries, workload.name, 1, 'tollgate');
  if (!pt || !tg) return [];
  const row = rowOf(workload.name);
  const added = tg.p50Ms - pt.p50Ms;
  const rows = [
    row(
      'added p50 at 1 connection',
      ms(added),
      `≤ ${GOALS.maxAddedP50Ms} ms`,
      added <= GOALS.maxAddedP50Ms,
    ),
  ];
  if (workload.stream) {
    const ttfe = tg.ttfeP50Ms - pt.ttfeP50Ms;
    const max = GOALS.maxAddedTtfeMs;
    rows.push(row('added time to first event', ms(ttfe), `≤ ${max} ms`, ttfe <= max));
  }
  return rows;
}

function memoryGoals({ streams, soaked }: MemoryRuns): GoalRow[] {
  const max = GOALS.maxStreamBytes;
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
  const rows = streams
    .filter((s) => s.target === 'tollgate')
    .flatMap((s) => {
      const row = rowOf('slow streams');
      const [each, further] = [streamBytes(s), furtherStreamBytes(s)];
      return [
        row('RSS per open stream', kB(each), `≤ ${max / 1000} kB`, each <= max),
        row('RSS per further open stream', kB(further), `≤ ${max / 1000} kB`, further <= max),
      ];
    });
  const growth = soakGrowth(soaked);
  const maxGrowth = GOALS.maxSoakGrowth;
  const measure = 'RSS growth, last quarter vs second';
  rows.push(rowOf('steady load')(measure, pct(growth), `≤ ${pct(maxGrowth)}`, growth <= maxGrowth));
  return rows;
}

type Row = (measure: string, value: string, goal: string, met: boolean) => GoalRow;

function rowOf(workload: string): Row {
  return (measure, value, goal, met) => [workload, measure, value, goal, met ? 'yes' : '**NO**'];
}

/** CPU per request against the pass-through, and what the store and the traces each cost:
 * CPU at the same load for every target (at full speed if the run had no such rounds), and
 * throughput at full speed. */
function costGoals(
  workload: string,
  summaries: readonly Summary[],
  connections: number,
): GoalRow[] {
  const row = rowOf(workload);
  const rate = summaries.find((s) => s.workload === workload && s.rate !== undefined)?.rate;
  const fast = (target: TargetName) => find(summaries, workload, connections, target);
  const held = (target: TargetName) => find(summaries, workload, connections, target, rate);
  const rows: GoalRow[] = [];

  const [pt, tg] = [held('pass-through'), held('tollgate')];
  if (pt && tg) {
    const cpu = tg.cpuSecondsPer1k / pt.cpuSecondsPer1k;
    const max = GOALS.maxCpuRatio;
    const at = rate === undefined ? '' : ` at ${rate} req/s`;
    rows.push(row(`CPU per request${at}`, times(cpu), `≤ ${max}×`, cpu <= max));
  }
  const costs = [
    ['store', 'tollgate, store off', GOALS.maxStoreCost],
    ['traces', 'tollgate, tracing off', GOALS.maxTracingCost],
  ] as const;
  for (const [what, without, max] of costs) {
    const [on, off] = [fast('tollgate'), fast(without)];
    if (on && off) {
      const lost = roundByRound(on.roundRps, off.roundRps, (a, b) => 1 - a / b);
      rows.push(row(`req/s cost of the ${what}`, spread(lost), `≤ ${pct(max)}`, lost[0] <= max));
    }
    const [heldOn, heldOff] = [held('tollgate'), held(without)];
    if (heldOn && heldOff) {
      const [a, b] = [heldOn.roundCpuSecondsPer1k, heldOff.roundCpuSecondsPer1k];
      const cpu = roundByRound(a, b, (x, y) => x / y - 1);
      rows.push(row(`CPU cost of the ${what}`, spread(cpu), `≤ ${pct(max)}`, cpu[0] <= max));
    }
  }
  return rows;
}

/**
 * A cost measured round by round: Tollgate and the variant without the store or the traces run
 * next to each other in every round, seconds apart, so each round's own comparison is spared
 * most of the machine's drift, which on a shared machine moves a target's throughput by more
 * than the cost itself. Returns the median of the rounds' values, then the lowest and highest.
 */
function roundByRound(
  on: readonly number[],
  off: readonly number[],
  cost: (on: number, off: number) => number,
): [median: number, low: number, high: number] {
  const values = on.slice(0, off.length).map((value, round) => cost(value, off[round]));
  return [median(values), Math.min(...values), Math.max(...values)];
}

function spread([middle, low, high]: readonly number[]): string {
  return `${pct(middle)} (${pct(low)} to ${pct(high)})`;
}

/** Resident set per open stream beyond the idle process: the peak while all were open. */
export function streamBytes(s: SlowStreamsResult): number {
  return (s.peakRssBytes - s.idleRssBytes) / s.streams;
}

/** What each stream of the second half added, once the first half had grown what a process
 * grows once for a burst of connections. */
export function furtherStreamBytes(s: SlowStreamsResult): number {
  return (s.allOpenRssBytes - s.halfOpenRssBytes) / halves(s.streams)[1];
}

/** Mean RSS of the last quarter over the second quarter's (the first is warm-up), minus one. */
export function soakGrowth(soaked: SoakResult): number {
  const quarter = (q: number) => {
    const picked = soaked.samples.filter(
      ([t]) => t >= (soaked.seconds * q) / 4 && t < (soaked.seconds * (q + 1)) / 4,
    );
    return picked.reduce((sum, [, rss]) => sum + rss, 0) / Math.max(1, picked.length);
  };
  return quarter(3) / quarter(1) - 1;
}

/** The summary of one workload, connection count and target: of the runs as fast as it
 * answered, or of those held to `rate`. */
export function find(
  summaries: readonly Summary[],
  workload: string,
  connections: number,
  target: TargetName,
  rate?: number,
): Summary | undefined {
  return summaries.find(
    (s) =>
      s.workload === workload &&
      s.connections === connections &&
      s.target === target &&
      s.rate === rate,
  );
}

export function times(value: number): string {
  return `${value.toFixed(2)}×`;
}

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

export function pct(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}
