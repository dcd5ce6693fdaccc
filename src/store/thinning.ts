import type { Snapshot } from './usage-file.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Snapshots younger than this are all kept. */
export const KEEP_ALL_DAYS = 7;
/** Between the two ages, one snapshot per UTC hour is kept; beyond this one per UTC day. */
export const KEEP_HOURLY_DAYS = 90;

/**
 * Thins snapshots with age so that history is kept for good in a small file: every snapshot of
 * the last 7 days, the last one of each UTC hour up to 90 days, then the last one of each UTC
 * day. Totals are cumulative, so keeping the last snapshot of a period loses no usage: the delta
 * to the next kept snapshot still sums everything in between. With `retentionDays`, older
 * snapshots are dropped. Expects and returns ascending order.
 */
export function thinSnapshots(
  snapshots: readonly Snapshot[],
  now: number,
  retentionDays?: number,
): Snapshot[] {
  const oldest = retentionDays === undefined ? -Infinity : now - retentionDays * DAY_MS;
  const kept = snapshots.filter((s) => s.at >= oldest);
  return kept.filter((s, i) => {
    const next = kept[i + 1];
    return next === undefined || group(s.at, now) !== group(next.at, now);
  });
}

/** The period a snapshot shares with its neighbours; a recent snapshot is alone in its own. */
function group(at: number, now: number): string {
  const age = now - at;
  if (age > KEEP_HOURLY_DAYS * DAY_MS) return `d${Math.floor(at / DAY_MS)}`;
  if (age > KEEP_ALL_DAYS * DAY_MS) return `h${Math.floor(at / HOUR_MS)}`;
  return `t${at}`;
}
