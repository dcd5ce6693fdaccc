import type { IncomingHttpHeaders } from 'node:http';
import { latestReset, readLimits } from './quota.js';

/**
 * How long a rate-limited account must rest: the later of `retry-after` and the provider's own
 * reset headers (OpenAI's, Anthropic's, and a used-up Codex window), in milliseconds from now,
 * or undefined when the answer says nothing.
 */
export function restFromHeaders(
  headers: IncomingHttpHeaders,
  now = Date.now(),
): number | undefined {
  const reset = latestReset(readLimits(headers, now));
  const waits = [
    retryAfterMs(headers['retry-after'], now),
    reset === undefined ? undefined : Math.max(0, reset - now),
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
