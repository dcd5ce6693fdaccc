import type { Account } from '../accounts/account.js';
import type { Counters } from '../store/counters.js';
import type { UsageDelta } from '../store/history.js';
import type { AccountUsage } from '../store/usage-file.js';

/**
 * The JSON bodies of the admin API, key for key (names and order) as codex-proxy answers them,
 * so tooling written against it reads Tollgate unchanged. Token counts map from token kinds:
 * `input_tokens` is host_in, `output_tokens` host_out, `cached_tokens` cache. Costs are rounded
 * to the micro-dollar.
 */

export function summaryJson(totals: Counters, accounts: readonly Account[], now: number) {
  return {
    total_input_tokens: totals.host_in,
    total_output_tokens: totals.host_out,
    total_cached_tokens: totals.cache,
    total_image_input_tokens: totals.image_in,
    total_image_output_tokens: totals.image_out,
    total_image_request_count: totals.image_request_count,
    total_image_request_failed_count: totals.image_request_failed_count,
    total_estimated_cost_usd: usd(totals.estimated_cost_usd),
    total_request_count: totals.request_count,
    total_accounts: accounts.length,
    active_accounts: accounts.filter((a) => a.isAvailable(now)).length,
  };
}

export function historyPointJson(delta: UsageDelta) {
  const u = delta.usage;
  return {
    timestamp: new Date(delta.at).toISOString(),
    input_tokens: u.host_in,
    output_tokens: u.host_out,
    cached_tokens: u.cache,
    image_input_tokens: u.image_in,
    image_output_tokens: u.image_out,
    image_request_count: u.image_request_count,
    image_request_failed_count: u.image_request_failed_count,
    estimated_cost_usd: usd(u.estimated_cost_usd),
    request_count: u.request_count,
  };
}

/** codex-proxy's per-account usage keys, then the token kinds it does not track. */
export function accountUsageJson(u: AccountUsage) {
  return {
    request_count: u.request_count,
    input_tokens: u.host_in,
    output_tokens: u.host_out,
    cached_tokens: u.cache,
    estimated_cost_usd: usd(u.estimated_cost_usd),
    image_input_tokens: u.image_in,
    image_output_tokens: u.image_out,
    image_request_count: u.image_request_count,
    image_request_failed_count: u.image_request_failed_count,
    empty_response_count: u.empty_response_count,
    last_used: u.last_used,
    cache_write_tokens: u.cache_write,
    reasoning_tokens: u.reasoning,
  };
}

/** An account's state now: `available`, `cooling_down` (after a 429) or `disabled` (after a
 * 401/403, or while the probe that may re-enable it is in flight). */
export function accountStateJson(account: Account, now: number) {
  const disabled = account.disabledUntil > now || (account.probing && !account.isAvailable(now));
  const cooling = account.coolingUntil > now;
  return {
    state: disabled ? 'disabled' : cooling ? 'cooling_down' : 'available',
    cooling_down_until: cooling ? new Date(account.coolingUntil).toISOString() : null,
    disabled_until:
      account.disabledUntil > now ? new Date(account.disabledUntil).toISOString() : null,
  };
}

function usd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
