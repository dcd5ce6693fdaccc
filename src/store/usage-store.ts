import type { Exchange } from '../exchange.js';
import type { Logger } from '../log.js';
import { LabelValue } from '../telemetry/vocabulary.js';
import { addInto, emptyCounters, sumCounters, type Counters } from './counters.js';
import { usageHistory, type Granularity, type UsageDelta } from './history.js';
import { thinSnapshots } from './thinning.js';
import { openUsageFile, prepareFolder, type UsageDb } from './usage-file-io.js';
import {
  encodeUsageFile,
  type AccountUsage,
  type Snapshot,
  type UsageState,
} from './usage-file.js';

export interface UsageStoreOptions {
  path: string;
  /** Minutes between snapshots of the totals; 0 takes none. */
  snapshotIntervalMinutes: number;
  /** Snapshots older than this are dropped; kept for good when absent. */
  retentionDays?: number;
  /** Shortest time between two writes of the file. */
  writeIntervalMs: number;
  /** Epoch milliseconds; tests move time by hand. */
  clock?: () => number;
  /** Called on every failed write of the file (the failure counter). */
  onWriteFailure?: () => void;
}

/**
 * Lifetime usage per account, kept in one JSON file. Every finished exchange updates memory at
 * once, so the admin API is live; the file is rewritten at most once per write interval, and on
 * close. Totals only grow: an account that leaves the configuration hands its counters to the
 * baseline instead of taking them away.
 */
export class UsageStore {
  private dirty = false;
  private closed = false;
  private lastWrite = 0;
  private writeTimer?: NodeJS.Timeout;
  private snapshotTimer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private writeFailed = false;
  private readonly clock: () => number;

  private constructor(
    private readonly state: UsageState,
    private readonly db: UsageDb,
    private readonly options: UsageStoreOptions,
    private readonly log: Logger,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** Opens (or creates) the file, hands the usage of unconfigured accounts to the baseline, and
   * starts taking snapshots. */
  static async open(
    options: UsageStoreOptions,
    accounts: readonly string[],
    log: Logger,
  ): Promise<UsageStore> {
    const { db, state } = await openUsageFile(options.path, log);
    await prepareFolder(options.path);
    const store = new UsageStore(state, db, options, log);
    store.retire(accounts);
    store.startSnapshots();
    return store;
  }

  /** Counts a finished exchange: attempts on the accounts that got them; tokens, cost and the
   * image outcome on the account that answered (the baseline when none did). */
  record(exchange: Exchange, costUsd: number): void {
    if (exchange.attempts.length === 0 && !exchange.imageOutcome) return;
    const lastUsed = new Date(this.clock()).toISOString();
    for (const attempt of exchange.attempts) {
      const account = this.account(attempt.account);
      account.request_count += 1;
      account.last_used = lastUsed;
    }
    const target: Counters =
      exchange.account === LabelValue.noAccount
        ? this.state.baseline
        : this.account(exchange.account);
    const usage = exchange.usage;
    target.host_in += usage.host_in;
    target.host_out += usage.host_out;
    target.cache += usage.cache;
    target.cache_write += usage.cache_write;
    target.reasoning += usage.reasoning;
    target.image_in += usage.image_in;
    target.image_out += usage.image_out;
    target.estimated_cost_usd += costUsd;
    if (exchange.imageOutcome === 'success') target.image_request_count += 1;
    if (exchange.imageOutcome === 'failed') target.image_request_failed_count += 1;
    if (isEmptyAnswer(exchange)) target.empty_response_count += 1;
    this.changed();
  }

  /** Baseline plus every account: what the summary reports. */
  totals(): Counters {
    return sumCounters([this.state.baseline, ...this.state.accounts.values()]);
  }

  accountUsage(name: string): AccountUsage {
    return this.state.accounts.get(name) ?? { ...emptyCounters(), last_used: null };
  }

  get snapshots(): readonly Snapshot[] {
    return this.state.snapshots;
  }

  history(granularity: Granularity, hours: number | 'all'): UsageDelta[] {
    return usageHistory(this.state.snapshots, granularity, hours, this.clock());
  }

  /** Records the current totals for history, then thins old snapshots. */
  takeSnapshot(): void {
    const now = this.clock();
    this.state.snapshots.push({ at: now, totals: this.totals() });
    this.state.snapshots = thinSnapshots(this.state.snapshots, now, this.options.retentionDays);
    this.changed();
  }

  /** Changes the state by other means than an exchange (history import), then saves it. */
  update<T>(change: (state: UsageState) => T): T {
    const result = change(this.state);
    this.state.snapshots = thinSnapshots(
      this.state.snapshots,
      this.clock(),
      this.options.retentionDays,
    );
    this.changed();
    return result;
  }

  /** Writes pending changes now and waits for the write to finish. */
  async flush(): Promise<void> {
    clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    if (this.writing) await this.writing;
    if (this.dirty) await this.write();
  }

  /** Takes a last snapshot, so that history reaches the shutdown, and writes everything. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.snapshotTimer);
    if (this.options.snapshotIntervalMinutes > 0) this.takeSnapshot();
    await this.flush();
  }

  private account(name: string): AccountUsage {
    let account = this.state.accounts.get(name);
    if (!account) {
      account = { ...emptyCounters(), last_used: null };
      this.state.accounts.set(name, account);
    }
    return account;
  }

  /** Accounts in the file but no longer configured keep counting in the totals via the baseline. */
  private retire(configured: readonly string[]): void {
    const keep = new Set(configured);
    for (const [name, usage] of this.state.accounts) {
      if (keep.has(name)) continue;
      addInto(this.state.baseline, usage);
      this.state.accounts.delete(name);
      this.log.info(
        { account: name },
        'account no longer configured: its usage moves to the baseline',
      );
      this.changed();
    }
  }

  private startSnapshots(): void {
    const minutes = this.options.snapshotIntervalMinutes;
    if (minutes <= 0) return;
    // A first snapshot gives the next one something to be compared with.
    if (this.state.snapshots.length === 0) this.takeSnapshot();
    this.snapshotTimer = setInterval(() => this.takeSnapshot(), minutes * 60_000);
    this.snapshotTimer.unref();
  }

  /** Schedules a write: at most one per write interval, never while one is running. */
  private changed(): void {
    this.dirty = true;
    if (this.writeTimer || this.closed) return;
    const wait = Math.max(0, this.lastWrite + this.options.writeIntervalMs - Date.now());
    this.writeTimer = setTimeout(() => {
      this.writeTimer = undefined;
      if (this.writing) this.changed();
      else void this.write();
    }, wait);
    this.writeTimer.unref();
  }

  private write(): Promise<void> {
    this.dirty = false;
    this.lastWrite = Date.now();
    this.db.data = encodeUsageFile(this.state);
    const writing = this.db
      .write()
      .then(() => {
        if (this.writeFailed)
          this.log.info({ path: this.options.path }, 'usage file written again');
        this.writeFailed = false;
      })
      .catch((err: unknown) => this.writeError(err))
      .finally(() => {
        if (this.writing === writing) this.writing = undefined;
      });
    this.writing = writing;
    return writing;
  }

  /** A failed write keeps the changes in memory and tries again later; it warns once per run of
   * failures, not once per attempt. */
  private writeError(err: unknown): void {
    this.options.onWriteFailure?.();
    if (!this.writeFailed) {
      this.log.warn({ err, path: this.options.path }, 'cannot write the usage file; will retry');
    }
    this.writeFailed = true;
    this.changed();
  }
}

/** An answer that came back without any generated output: no text, reasoning or image tokens. */
function isEmptyAnswer(exchange: Exchange): boolean {
  if (!exchange.metered || exchange.account === LabelValue.noAccount) return false;
  if (exchange.outcome !== 'success' && exchange.outcome !== 'incomplete') return false;
  return exchange.usage.host_out === 0 && exchange.usage.image_out === 0;
}
