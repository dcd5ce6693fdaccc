/**
 * The lifetime counters the usage store keeps per account, in its baseline and in each snapshot.
 * Token counters use the token-kind names; the rest follow the compatible admin API's words.
 */
export const COUNTER_FIELDS = [
  'request_count',
  'host_in',
  'host_out',
  'cache',
  'cache_write',
  'reasoning',
  'image_in',
  'image_out',
  'image_request_count',
  'image_request_failed_count',
  'empty_response_count',
  'estimated_cost_usd',
] as const;
export type CounterField = (typeof COUNTER_FIELDS)[number];
export type Counters = Record<CounterField, number>;

export function emptyCounters(): Counters {
  const counters = {} as Counters;
  for (const field of COUNTER_FIELDS) counters[field] = 0;
  return counters;
}

/** Reads counters from a parsed file: a missing, negative or non-numeric field reads as 0, so an
 * older or partial file loads instead of failing. */
export function readCounters(raw: unknown): Counters {
  const source = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const counters = emptyCounters();
  for (const field of COUNTER_FIELDS) counters[field] = counterValue(source[field]);
  return counters;
}

export function counterValue(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

export function addInto(target: Counters, source: Counters): void {
  for (const field of COUNTER_FIELDS) target[field] += source[field];
}

export function sumCounters(parts: Iterable<Counters>): Counters {
  const total = emptyCounters();
  for (const part of parts) addInto(total, part);
  return total;
}

/** Field-wise maximum: the later of two cumulative readings, whichever grew. */
export function maxCounters(a: Counters, b: Counters): Counters {
  const out = emptyCounters();
  for (const field of COUNTER_FIELDS) out[field] = Math.max(a[field], b[field]);
  return out;
}
