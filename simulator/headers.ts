/** Headers every OpenAI answer carries, and the duration format of its rate-limit resets. */

const REQUESTS_PER_MINUTE = 10_000;
const TOKENS_PER_MINUTE = 30_000_000;

/** `x-request-id` and `openai-processing-ms` go on every answer, faults included. */
export function identityHeaders(requestId: string, startedAt: number): Record<string, string> {
  return {
    'x-request-id': requestId,
    'openai-processing-ms': String(Math.round(performance.now() - startedAt)),
    'openai-version': '2020-10-01',
  };
}

/**
 * The rate-limit window of a healthy account: far from its limits, resetting within
 * milliseconds. `served` is how many requests this simulator has answered so far.
 */
export function rateLimitHeaders(served: number): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(REQUESTS_PER_MINUTE),
    'x-ratelimit-remaining-requests': String(REQUESTS_PER_MINUTE - 1 - (served % 100)),
    'x-ratelimit-reset-requests': formatDuration(6),
    'x-ratelimit-limit-tokens': String(TOKENS_PER_MINUTE),
    'x-ratelimit-remaining-tokens': String(TOKENS_PER_MINUTE - 2_000),
    'x-ratelimit-reset-tokens': formatDuration(4),
  };
}

/**
 * The Codex backend's quota windows: a 5-hour primary window filling up with use and a weekly
 * secondary one, each with its length in minutes and its reset time in Unix seconds.
 */
export function codexQuotaHeaders(served: number): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  return {
    'x-codex-primary-used-percent': String(Math.min(100, 10 + (served % 80))),
    'x-codex-primary-window-minutes': '300',
    'x-codex-primary-reset-at': String(now + 3600),
    'x-codex-secondary-used-percent': '40',
    'x-codex-secondary-window-minutes': '10080',
    'x-codex-secondary-reset-at': String(now + 5 * 86_400),
  };
}

/**
 * Formats like Go's `time.Duration.String`, which OpenAI's reset headers use: `6ms`, `1.5s`,
 * `1m30s`, `2h0m0s`.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${trim(ms)}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = `${trim((ms % 60_000) / 1000)}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  return minutes > 0 ? `${minutes}m${seconds}` : seconds;
}

/** Up to three decimals, no trailing zeros. */
function trim(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}
