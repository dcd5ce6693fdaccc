import { addInto, COUNTER_FIELDS, maxCounters, type Counters } from './counters.js';
import { readAnyCounters } from './legacy-names.js';
import { decodeSnapshots, type Snapshot, type UsageState } from './usage-file.js';

/** The history file could not be imported; the message says why and nothing was changed. */
export class HistoryImportError extends Error {}

export interface ImportSummary {
  /** Snapshots added to the history. */
  imported: number;
  /** Snapshots left out because they overlap the store's own history. */
  overlapping: number;
  /** Usage added to the totals (the history's last cumulative totals). */
  totals: Counters;
}

/**
 * Carries a codex-proxy `usage-history.json` (`{version: 1, snapshots: [{timestamp, totals}],
 * baseline?}`) over into the store. Its last cumulative totals (or its baseline, where larger)
 * join the store's baseline, so the summary's totals include everything counted before; its
 * snapshots join the history in front of the store's own, which are raised by the same amount so
 * that the series stays cumulative and no delta turns negative at the seam. Snapshots at or
 * after the store's first one would double count and are left out. The same file (same last
 * snapshot and totals) is refused a second time.
 */
export function importLegacyHistory(
  state: UsageState,
  json: unknown,
  source: string,
  now: number,
): ImportSummary {
  const { snapshots, baseline } = readLegacyFile(json);
  const last = snapshots.at(-1);
  const totals = last ? maxCounters(last.totals, baseline) : baseline;
  const lastSnapshot = last ? new Date(last.at).toISOString() : null;
  if (
    state.imports.some((i) => i.last_snapshot === lastSnapshot && sameCounters(i.totals, totals))
  ) {
    throw new HistoryImportError('this history was already imported into the store');
  }

  const ownStart = state.snapshots[0]?.at ?? Infinity;
  const earlier = snapshots.filter((s) => s.at < ownStart);
  for (const own of state.snapshots) addInto(own.totals, totals);
  state.snapshots = [...earlier, ...state.snapshots];
  addInto(state.baseline, totals);
  state.imports.push({
    imported_at: new Date(now).toISOString(),
    source,
    last_snapshot: lastSnapshot,
    totals,
  });
  return { imported: earlier.length, overlapping: snapshots.length - earlier.length, totals };
}

function readLegacyFile(json: unknown): { snapshots: Snapshot[]; baseline: Counters } {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new HistoryImportError('expected a JSON object with a "snapshots" list');
  }
  const file = json as Record<string, unknown>;
  if (file.version !== undefined && file.version !== 1) {
    throw new HistoryImportError(
      `unsupported version ${JSON.stringify(file.version)} (expected 1)`,
    );
  }
  if (!Array.isArray(file.snapshots)) {
    throw new HistoryImportError('expected a JSON object with a "snapshots" list');
  }
  return { snapshots: decodeSnapshots(file.snapshots), baseline: readAnyCounters(file.baseline) };
}

function sameCounters(a: Counters, b: Counters): boolean {
  return COUNTER_FIELDS.every((f) => a[f] === b[f]);
}
