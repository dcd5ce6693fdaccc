import { COUNTER_FIELDS, emptyCounters, type Counters } from './counters.js';
import type { Snapshot } from './usage-file.js';

export const GRANULARITIES = ['raw', 'five_min', 'hourly', 'daily'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

const BUCKET_MS: Record<Exclude<Granularity, 'raw'>, number> = {
  five_min: 300_000,
  hourly: 3_600_000,
  daily: 86_400_000,
};

/** Usage between two moments: the change of the cumulative totals, at the later moment. */
export interface UsageDelta {
  at: number;
  usage: Counters;
}

/**
 * Usage over time from the snapshots of the last `hours` hours (or all of them): the difference
 * between each pair of consecutive snapshots, never below 0, summed into buckets aligned to the
 * UTC epoch (`raw` keeps one point per snapshot, at the later snapshot's time). Buckets without a
 * snapshot do not appear; fewer than two snapshots give no points.
 */
export function usageHistory(
  snapshots: readonly Snapshot[],
  granularity: Granularity,
  hours: number | 'all',
  now: number,
): UsageDelta[] {
  const since = hours === 'all' ? -Infinity : now - hours * 3_600_000;
  const window = snapshots.filter((s) => s.at >= since);
  const deltas: UsageDelta[] = [];
  for (let i = 1; i < window.length; i++) {
    deltas.push({ at: window[i].at, usage: difference(window[i].totals, window[i - 1].totals) });
  }
  return granularity === 'raw' ? deltas : bucket(deltas, BUCKET_MS[granularity]);
}

function difference(later: Counters, earlier: Counters): Counters {
  const usage = emptyCounters();
  for (const field of COUNTER_FIELDS) usage[field] = Math.max(0, later[field] - earlier[field]);
  return usage;
}

function bucket(deltas: readonly UsageDelta[], size: number): UsageDelta[] {
  const buckets = new Map<number, UsageDelta>();
  for (const delta of deltas) {
    const start = Math.floor(delta.at / size) * size;
    let target = buckets.get(start);
    if (!target) {
      target = { at: start, usage: emptyCounters() };
      buckets.set(start, target);
    }
    for (const field of COUNTER_FIELDS) target.usage[field] += delta.usage[field];
  }
  return [...buckets.values()].sort((a, b) => a.at - b.at);
}
