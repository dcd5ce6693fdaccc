import type { IncomingHttpHeaders } from 'node:http';
import type { QuotaWindow, RatelimitResource } from '../telemetry/vocabulary.js';

/** One rate limit as an upstream last stated it. `resetAt` is epoch ms. */
export interface RateLimit {
  limit?: number;
  remaining?: number;
  resetAt?: number;
}

/** One Codex quota window: the share used (0–1) and when it resets (epoch ms). */
export interface QuotaState {
  usedRatio: number;
  resetAt?: number;
}

/** What one upstream answer says about its account's limits. */
export interface LimitsReading {
  rateLimits: Partial<Record<RatelimitResource, RateLimit>>;
  quotas: Partial<Record<QuotaWindow, QuotaState>>;
}

/** Header names, spelled out once: an answer's headers are read on every exchange. OpenAI names
 * a resource once per header; Anthropic has four, with dashes. */
const RESOURCE_HEADERS: readonly {
  resource: RatelimitResource;
  limit: string;
  remaining: string;
  reset: string;
  /** OpenAI states resets as durations, Anthropic as RFC 3339 times. */
  resetIsDuration: boolean;
}[] = [
  ...(['requests', 'tokens'] as const).map((resource) => ({
    resource,
    limit: `x-ratelimit-limit-${resource}`,
    remaining: `x-ratelimit-remaining-${resource}`,
    reset: `x-ratelimit-reset-${resource}`,
    resetIsDuration: true,
  })),
  ...Object.entries({
    requests: 'requests',
    tokens: 'tokens',
    'input-tokens': 'input_tokens',
    'output-tokens': 'output_tokens',
  } as const).map(([name, resource]) => ({
    resource,
    limit: `anthropic-ratelimit-${name}-limit`,
    remaining: `anthropic-ratelimit-${name}-remaining`,
    reset: `anthropic-ratelimit-${name}-reset`,
    resetIsDuration: false,
  })),
];
const WINDOW_HEADERS = (['primary', 'secondary'] as const).map((window) => ({
  window,
  usedPercent: `x-codex-${window}-used-percent`,
  resetAt: `x-codex-${window}-reset-at`,
  resetAfter: `x-codex-${window}-reset-after-seconds`,
}));

/**
 * Reads the rate-limit and quota headers of any upstream answer: OpenAI's `x-ratelimit-*`
 * (resets as durations such as `6ms` or `1m30s`), Anthropic's `anthropic-ratelimit-*` (resets
 * as RFC 3339 times) and the Codex backend's `x-codex-{primary,secondary}-*` windows (resets
 * as Unix seconds). Resets become absolute times, so a gauge read later still says how long
 * is left. Malformed values are ignored.
 */
export function readLimits(headers: IncomingHttpHeaders, now = Date.now()): LimitsReading {
  const rateLimits: LimitsReading['rateLimits'] = {};
  for (const names of RESOURCE_HEADERS) {
    const limit = count(headers[names.limit]);
    const remaining = count(headers[names.remaining]);
    const rawReset = headers[names.reset];
    let resetAt: number | undefined;
    if (names.resetIsDuration) {
      const reset = durationMs(rawReset);
      resetAt = reset === undefined ? undefined : now + reset;
    } else resetAt = timestamp(rawReset);
    if (limit !== undefined || remaining !== undefined || resetAt !== undefined) {
      rateLimits[names.resource] = { limit, remaining, resetAt };
    }
  }
  return { rateLimits, quotas: readCodexWindows(headers, now) };
}

function readCodexWindows(headers: IncomingHttpHeaders, now: number): LimitsReading['quotas'] {
  const quotas: LimitsReading['quotas'] = {};
  for (const names of WINDOW_HEADERS) {
    const percent = number(headers[names.usedPercent]);
    if (percent === undefined) continue;
    const window = names.window;
    const resetAt = number(headers[names.resetAt]);
    const resetAfter = number(headers[names.resetAfter]);
    quotas[window] = {
      usedRatio: Math.min(1, Math.max(0, percent / 100)),
      resetAt:
        resetAt !== undefined
          ? resetAt * 1000
          : resetAfter !== undefined
            ? now + resetAfter * 1000
            : undefined,
    };
  }
  return quotas;
}

/** The latest moment any stated limit resets, counting Codex windows only once they are used
 * up: a window that still has room says nothing about when the account may be used again. */
export function latestReset(reading: LimitsReading): number | undefined {
  const resets = [
    ...Object.values(reading.rateLimits).map((l) => l.resetAt),
    ...Object.values(reading.quotas)
      .filter((q) => q.usedRatio >= 1)
      .map((q) => q.resetAt),
  ].filter((at): at is number => at !== undefined);
  return resets.length ? Math.max(...resets) : undefined;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const DECIMAL = /^\d+(\.\d+)?$/;

/** OpenAI's reset durations: `6ms`, `20s`, `1m30s`, `2h0m5.5s`. Every answer carries two, so
 * the common one-unit form takes a shortcut past the general pattern. */
export function durationMs(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const simple = oneUnit(text);
  if (simple !== undefined) return simple;
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) {
    total += Number(amount) * UNIT_MS[unit];
  }
  return total;
}

/** `<number>ms` or `<number>s`, or undefined for anything else. */
function oneUnit(text: string): number | undefined {
  const ms = text.endsWith('ms');
  if (!ms && !text.endsWith('s')) return undefined;
  const digits = text.slice(0, text.length - (ms ? 2 : 1));
  if (!DECIMAL.test(digits)) return undefined;
  return Number(digits) * (ms ? 1 : 1000);
}

function number(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function count(value: string | string[] | undefined): number | undefined {
  const n = number(value);
  return n === undefined ? undefined : Math.floor(n);
}

/** An RFC 3339 time such as `2026-05-01T12:00:30Z`. */
function timestamp(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value.trim())) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

/**
 * The latest limits each account's upstream stated, for the gauges. A reading replaces only
 * what it states: an answer without Codex headers leaves the windows as they were.
 */
export class LimitsBook {
  private readonly rateLimits = new Map<string, Map<RatelimitResource, RateLimit>>();
  private readonly quotas = new Map<string, Map<QuotaWindow, QuotaState>>();

  /** Drops what an account's upstream stated, once the account has left the configuration. */
  forget(account: string): void {
    this.rateLimits.delete(account);
    this.quotas.delete(account);
  }

  record(account: string, reading: LimitsReading): void {
    mergeInto(this.rateLimits, account, reading.rateLimits);
    mergeInto(this.quotas, account, reading.quotas);
  }

  *rateLimitEntries(): Generator<[string, RatelimitResource, RateLimit]> {
    for (const [account, byResource] of this.rateLimits)
      for (const [resource, limit] of byResource) yield [account, resource, limit];
  }

  *quotaEntries(): Generator<[string, QuotaWindow, QuotaState]> {
    for (const [account, byWindow] of this.quotas)
      for (const [window, state] of byWindow) yield [account, window, state];
  }
}

function mergeInto<K extends string, V>(
  book: Map<string, Map<K, V>>,
  account: string,
  values: Partial<Record<K, V>>,
): void {
  const entries = Object.entries(values) as [K, V][];
  if (entries.length === 0) return;
  let byKey = book.get(account);
  if (!byKey) book.set(account, (byKey = new Map()));
  for (const [key, value] of entries) byKey.set(key, value);
}
