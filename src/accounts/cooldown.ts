import type { IncomingHttpHeaders } from 'node:http';

/**
 * How long a rate-limited account must rest: the later of `retry-after` and the provider's own
 * reset headers, in milliseconds from now, or undefined when the answer says nothing.
 */
export function restFromHeaders(
  headers: IncomingHttpHeaders,
  now = Date.now(),
): number | undefined {
  const waits = [
    retryAfterMs(headers['retry-after'], now),
    durationMs(headers['x-ratelimit-reset-requests']),
    durationMs(headers['x-ratelimit-reset-tokens']),
  ].filter((ms): ms is number => ms !== undefined);
  return waits.length ? Math.max(...waits) : undefined;
}

/** `retry-after` is either delay seconds or an HTTP date. */
function retryAfterMs(value: string | string[] | undefined, now: number): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** OpenAI's reset durations: `6ms`, `20s`, `1m30s`, `2h0m5.5s`. */
export function durationMs(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || !/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(value.trim()))
    return undefined;
  let total = 0;
  for (const [, amount, unit] of value.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * UNIT_MS[unit];
  }
  return total;
}
