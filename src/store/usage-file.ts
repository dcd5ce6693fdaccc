import {
  COUNTER_FIELDS,
  counterValue,
  emptyCounters,
  readCounters,
  type CounterField,
  type Counters,
} from './counters.js';
import { readAnyCounters } from './legacy-names.js';

/**
 * The usage file's shape on disk and in memory. On disk snapshots are rows under a column list,
 * which keeps a year of them small; a reader maps columns by name, so a file written by an older
 * or newer Tollgate loads, its missing numbers read as 0 and unknown columns ignored.
 */

export const FILE_VERSION = 1;

export interface AccountUsage extends Counters {
  /** When an attempt last went to this account (ISO 8601), or null. */
  last_used: string | null;
}

/** Cumulative totals (baseline plus every account) at one moment, epoch milliseconds. */
export interface Snapshot {
  at: number;
  totals: Counters;
}

/** One history import, remembered so that the same file is not counted twice. */
export interface ImportRecord {
  imported_at: string;
  source: string;
  last_snapshot: string | null;
  totals: Counters;
}

export interface UsageState {
  accounts: Map<string, AccountUsage>;
  /** Usage held by no configured account: accounts that left the configuration, exchanges that
   * reached no account, and imported history. */
  baseline: Counters;
  /** Ascending by time. */
  snapshots: Snapshot[];
  imports: ImportRecord[];
}

/** The file parsed, but is not a usage file at all (not a JSON object). */
export class UnreadableUsageFile extends Error {}

export function emptyState(): UsageState {
  return { accounts: new Map(), baseline: emptyCounters(), snapshots: [], imports: [] };
}

export function decodeUsageFile(json: unknown): UsageState {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new UnreadableUsageFile('the file does not hold a JSON object');
  }
  const file = json as Record<string, unknown>;
  const state = emptyState();
  for (const [name, raw] of Object.entries(asObject(file.accounts))) {
    state.accounts.set(name, readAccount(raw));
  }
  state.baseline = readCounters(file.baseline);
  state.snapshots = decodeSnapshots(file.snapshots);
  state.imports = Array.isArray(file.imports) ? file.imports.map(readImport) : [];
  return state;
}

export function encodeUsageFile(state: UsageState): object {
  const columns = ['timestamp', ...COUNTER_FIELDS];
  // History answers in micro-dollars: more digits in every row would only grow the file.
  const rows = state.snapshots.map((s) => [
    new Date(s.at).toISOString(),
    ...COUNTER_FIELDS.map((f) =>
      f === 'estimated_cost_usd' ? Math.round(s.totals[f] * 1e6) / 1e6 : s.totals[f],
    ),
  ]);
  return {
    version: FILE_VERSION,
    accounts: Object.fromEntries(state.accounts),
    baseline: state.baseline,
    snapshots: { columns, rows },
    imports: state.imports,
  };
}

export function readAccount(raw: unknown): AccountUsage {
  const lastUsed = asObject(raw).last_used;
  return { ...readCounters(raw), last_used: typeof lastUsed === 'string' ? lastUsed : null };
}

/** Snapshots as rows under columns, or as a list of `{timestamp, totals}` objects (the form
 * codex-proxy writes, with its counter names). */
export function decodeSnapshots(raw: unknown): Snapshot[] {
  const snapshots = Array.isArray(raw) ? raw.map(objectSnapshot) : rowSnapshots(asObject(raw));
  return snapshots.filter((s): s is Snapshot => s !== undefined).sort((a, b) => a.at - b.at);
}

function rowSnapshots(table: Record<string, unknown>): (Snapshot | undefined)[] {
  const columns = Array.isArray(table.columns) ? table.columns.map(String) : [];
  const rows = Array.isArray(table.rows) ? table.rows : [];
  const timeColumn = columns.indexOf('timestamp');
  const fields = COUNTER_FIELDS.map((f) => [f, columns.indexOf(f)] as [CounterField, number]);
  return rows.map((row) => {
    if (!Array.isArray(row)) return undefined;
    const at = Date.parse(String(row[timeColumn]));
    if (!Number.isFinite(at)) return undefined;
    const totals = emptyCounters();
    for (const [field, i] of fields) if (i >= 0) totals[field] = counterValue(row[i]);
    return { at, totals };
  });
}

function objectSnapshot(raw: unknown): Snapshot | undefined {
  const item = asObject(raw);
  const at = Date.parse(String(item.timestamp));
  return Number.isFinite(at) ? { at, totals: readAnyCounters(item.totals) } : undefined;
}

function readImport(raw: unknown): ImportRecord {
  const item = asObject(raw);
  return {
    imported_at: String(item.imported_at ?? ''),
    source: String(item.source ?? ''),
    last_snapshot: typeof item.last_snapshot === 'string' ? item.last_snapshot : null,
    totals: readCounters(item.totals),
  };
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
