import type { Run } from './measure.js';
import type { TargetName } from './targets.js';

/** The rounds of one workload, target and connection count, folded together. */
export interface Summary {
  workload: string;
  target: TargetName;
  connections: number;
  /** The rate the rounds were held to, if they were. */
  rate?: number;
  /** The median round's requests per second: one round disturbed by other work moves it
   * less than it would move a mean. */
  rps: number;
  /** Each round's requests per second and CPU seconds per 1,000 requests, in the order the
   * rounds ran: two targets measured in the same rounds are compared round by round, and the
   * slowest and fastest round show how steady the machine was. */
  roundRps: number[];
  roundCpuSecondsPer1k: number[];
  /** Medians over the rounds. */
  p50Ms: number;
  p99Ms: number;
  ttfeP50Ms: number;
  cpuSecondsPer1k: number;
  peakRssBytes: number;
  /** CPU of the load generator, in % of one core. */
  harnessCpuPercent: number;
  /** CPU of the simulated upstream, in % of one core. */
  upstreamCpuPercent: number;
  /** CPU of every other process on the machine, in % of one core. */
  otherCpuPercent: number;
  non2xx: number;
  errors: number;
}

export function summarize(runs: readonly Run[]): Summary[] {
  const groups = new Map<string, Run[]>();
  for (const run of runs) {
    const key = `${run.workload}\u0000${run.connections}\u0000${run.rate}\u0000${run.target}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map(fold);
}

function fold(rounds: Run[]): Summary {
  const sum = (pick: (run: Run) => number) => rounds.reduce((total, run) => total + pick(run), 0);
  const requests = sum((run) => run.requests);
  const seconds = sum((run) => run.seconds);
  const roundRps = rounds.map((run) => run.requests / run.seconds);
  return {
    workload: rounds[0].workload,
    target: rounds[0].target,
    connections: rounds[0].connections,
    rate: rounds[0].rate,
    rps: median(roundRps),
    roundRps,
    roundCpuSecondsPer1k: rounds.map((run) => (run.proxyCpuSeconds / run.requests) * 1000),
    p50Ms: median(rounds.map((run) => run.p50Ms)),
    p99Ms: median(rounds.map((run) => run.p99Ms)),
    ttfeP50Ms: median(rounds.map((run) => run.ttfeP50Ms)),
    cpuSecondsPer1k: (sum((run) => run.proxyCpuSeconds) / requests) * 1000,
    peakRssBytes: Math.max(...rounds.map((run) => run.proxyPeakRssBytes)),
    harnessCpuPercent: (sum((run) => run.harnessCpuSeconds) / seconds) * 100,
    upstreamCpuPercent: (sum((run) => run.upstreamCpuSeconds) / seconds) * 100,
    otherCpuPercent: (sum((run) => run.otherCpuSeconds) / seconds) * 100,
    non2xx: sum((run) => run.non2xx),
    errors: sum((run) => run.errors),
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
