import type { Meter } from '@opentelemetry/api';
import type { LimitsBook, RateLimit } from '../accounts/quota.js';
import { Attr, Instrument } from './vocabulary.js';

/**
 * The rate limits and quota windows each account's upstream last stated, read at scrape time.
 * Resets are kept as absolute times and shown as seconds from the scrape; once a reset time has
 * passed, the provider has refilled the window, so the gauges show it full (remaining = limit,
 * used ratio 0) until the next answer says otherwise.
 */
export function observeLimits(meter: Meter, book: LimitsBook): void {
  const remaining = meter.createObservableGauge(Instrument.ratelimitRemaining, {
    description: "Requests or tokens left in the account's current rate-limit window.",
    unit: '{1}',
  });
  const limit = meter.createObservableGauge(Instrument.ratelimitLimit, {
    description: "The size of the account's rate-limit window, in requests or tokens.",
    unit: '{1}',
  });
  const rateReset = meter.createObservableGauge(Instrument.ratelimitReset, {
    description: "Seconds until the provider resets the account's rate-limit window.",
    unit: 's',
  });
  const used = meter.createObservableGauge(Instrument.quotaUsed, {
    description: "Share (0-1) of the account's quota window already used.",
    unit: '1',
  });
  const quotaReset = meter.createObservableGauge(Instrument.quotaReset, {
    description: "Seconds until the account's quota window resets.",
    unit: 's',
  });

  meter.addBatchObservableCallback(
    (result) => {
      const now = Date.now();
      for (const [account, resource, state] of book.rateLimitEntries()) {
        const labels = { [Attr.account]: account, [Attr.resource]: resource };
        const left = remainingNow(state, now);
        if (left !== undefined) result.observe(remaining, left, labels);
        if (state.limit !== undefined) result.observe(limit, state.limit, labels);
        if (state.resetAt !== undefined)
          result.observe(rateReset, secondsUntil(state.resetAt, now), labels);
      }
      for (const [account, window, state] of book.quotaEntries()) {
        const labels = { [Attr.account]: account, [Attr.window]: window };
        const passed = state.resetAt !== undefined && now >= state.resetAt;
        result.observe(used, passed ? 0 : state.usedRatio, labels);
        if (state.resetAt !== undefined)
          result.observe(quotaReset, secondsUntil(state.resetAt, now), labels);
      }
    },
    [remaining, limit, rateReset, used, quotaReset],
  );
}

function remainingNow(state: RateLimit, now: number): number | undefined {
  const refilled = state.resetAt !== undefined && now >= state.resetAt && state.limit !== undefined;
  return refilled ? state.limit : state.remaining;
}

function secondsUntil(at: number, now: number): number {
  return Math.max(0, (at - now) / 1000);
}
