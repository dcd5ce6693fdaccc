import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config/schema.js';
import { Account } from './account.js';
import { restFromHeaders } from './cooldown.js';
import { LimitsBook, readLimits } from './quota.js';

/** What happened to an account, for span events and logs. */
export type AccountEvent = 'cooldown' | 'disabled';

/**
 * The accounts of every upstream and the choice among them. An attempt goes to the available
 * account with the fewest attempts in flight, taking turns among equals so that idle accounts
 * share the load instead of the first one taking it all.
 */
export class AccountPool {
  private readonly byUpstream = new Map<string, Account[]>();
  private readonly turn = new Map<string, number>();
  /** The rate limits and quota windows each account's upstream last stated. */
  readonly limits = new LimitsBook();

  constructor(private config: Config) {
    this.reload(config);
  }

  /** Takes a new configuration. An account that keeps its name and upstream keeps its state
   * (cool-down, attempts in flight); a removed one takes no new attempt, while attempts already
   * running on it finish on the object they hold. */
  reload(config: Config): void {
    const previous = new Map(this.all().map((a) => [a.name, a]));
    this.config = config;
    this.byUpstream.clear();
    for (const upstream of config.upstreams) {
      const accounts = upstream.accounts.map((conf) => {
        const kept = previous.get(conf.name);
        previous.delete(conf.name);
        if (kept?.upstream !== upstream.name) return new Account(conf, upstream.name);
        kept.update(conf);
        return kept;
      });
      this.byUpstream.set(upstream.name, accounts);
    }
    for (const removed of previous.keys()) this.limits.forget(removed);
  }

  all(): Account[] {
    return [...this.byUpstream.values()].flat();
  }

  availableCount(): number {
    const now = Date.now();
    return this.all().filter((a) => a.isAvailable(now)).length;
  }

  /** The next account to try for `upstream`, skipping those this exchange already tried. */
  pick(upstream: string, tried: ReadonlySet<Account>): Account | undefined {
    const candidates = this.candidates(upstream, tried);
    if (candidates.length === 0) return undefined;

    const fewest = Math.min(...candidates.map((a) => a.inFlight));
    const least = candidates.filter((a) => a.inFlight === fewest);
    const turn = this.turn.get(upstream) ?? 0;
    this.turn.set(upstream, turn + 1);
    return least[turn % least.length];
  }

  /** Whether another attempt could find an account, without taking a turn. */
  hasCandidate(upstream: string, tried: ReadonlySet<Account>): boolean {
    return this.candidates(upstream, tried).length > 0;
  }

  private candidates(upstream: string, tried: ReadonlySet<Account>): Account[] {
    const now = Date.now();
    const accounts = this.byUpstream.get(upstream) ?? [];
    return accounts.filter((a) => !tried.has(a) && a.isAvailable(now));
  }

  /** Updates an account from an upstream answer: its limit headers are noted, 429 rests it,
   * 401/403 disables it until a later probe, and any other answer proves its credential works
   * again. */
  onStatus(
    account: Account,
    status: number,
    headers: IncomingHttpHeaders,
  ): AccountEvent | undefined {
    const now = Date.now();
    this.limits.record(account.name, readLimits(headers, now));
    if (status === 429) {
      const rest = restFromHeaders(headers, now) ?? this.config.accounts.cooldown_seconds * 1000;
      account.coolingUntil = now + rest;
      return 'cooldown';
    }
    if (status === 401 || status === 403) {
      account.disabledUntil = now + this.config.accounts.disabled_probe_seconds * 1000;
      account.probing = true;
      return 'disabled';
    }
    account.disabledUntil = 0;
    account.probing = false;
    return undefined;
  }
}
