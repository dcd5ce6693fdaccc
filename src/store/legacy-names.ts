import { counterValue, readCounters, type CounterField, type Counters } from './counters.js';

/** codex-proxy's names for the counters, as found in its usage-history.json and admin JSON. */
export const LEGACY_NAMES: Readonly<Record<string, CounterField>> = {
  request_count: 'request_count',
  input_tokens: 'host_in',
  output_tokens: 'host_out',
  cached_tokens: 'cache',
  image_input_tokens: 'image_in',
  image_output_tokens: 'image_out',
  image_request_count: 'image_request_count',
  image_request_failed_count: 'image_request_failed_count',
  empty_response_count: 'empty_response_count',
  estimated_cost_usd: 'estimated_cost_usd',
};

/** Counters from an object that may use Tollgate's names, codex-proxy's, or a mix; missing
 * numbers read as 0. */
export function readAnyCounters(raw: unknown): Counters {
  const counters = readCounters(raw);
  if (!raw || typeof raw !== 'object') return counters;
  for (const [key, value] of Object.entries(raw)) {
    if (Object.hasOwn(LEGACY_NAMES, key)) counters[LEGACY_NAMES[key]] = counterValue(value);
  }
  return counters;
}
