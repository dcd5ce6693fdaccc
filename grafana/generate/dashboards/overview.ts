import { increase, BILLABLE_KINDS, quantile, rate, ratio, sel, sum } from '../promql.js';
import { hitRate, rangeCacheHitRate, stat, timeseries, Unit } from '../panels.js';
import type { DashboardSpec } from '../spec.js';

/** The one screen an operator opens first: traffic, tokens, cost, cache, images, accounts. */
export const overview: DashboardSpec = {
  uid: 'tollgate-overview',
  file: 'overview.json',
  title: 'Tollgate / Overview',
  description: 'Traffic, tokens, cost, cache, images, accounts and latency at a glance.',
  content: () => [
    { row: 'Now and over the range' },
    stat('Requests/s', Unit.requestsPerSecond, [{ expr: sum(rate('requests')) }]),
    stat('Estimated cost over the range', Unit.usd, [{ expr: sum(increase('costUsd')) }], {
      description: 'Cost from token counts and the configured prices.',
    }),
    rangeCacheHitRate({
      description: 'Prompt tokens read from the provider cache over all prompt tokens.',
    }),
    hitRate(
      stat(
        'Cache hit rate since start',
        Unit.ratio,
        [
          {
            expr: ratio(
              sum(sel('tokens', { token_kind: 'cache' })),
              sum(sel('tokens', { token_kind: 'host_in' })),
            ),
          },
        ],
        { description: 'The same ratio over each instance lifetime counters.' },
      ),
    ),
    stat(
      'Accounts available / configured',
      Unit.accounts,
      [
        { expr: sum(sel('accountAvailable')), legend: 'available' },
        { expr: `count(${sel('accountAvailable')})`, legend: 'configured' },
      ],
      { description: 'Available: neither cooling down after a 429 nor disabled after a 401/403.' },
    ),
    stat(
      'Image success ratio over the range',
      Unit.ratio,
      [
        {
          expr: ratio(
            sum(increase('imageRequests', { image_outcome: 'success' })),
            sum(increase('imageRequests')),
          ),
        },
      ],
      { description: 'Image requests that produced image output tokens.' },
    ),

    { row: 'Traffic and errors' },
    timeseries(
      'Requests/s by outcome',
      Unit.requestsPerSecond,
      [{ expr: sum(rate('requests'), ['outcome']), legend: '{{outcome}}' }],
      { stacked: true, width: 8 },
    ),
    timeseries(
      'Error ratio by outcome',
      Unit.ratio,
      [
        {
          expr: `${sum(rate('requests', { outcome: '!=success' }), ['outcome'])}\n/ ignoring (outcome) group_left ()\n(${sum(rate('requests'))} > 0)`,
          legend: '{{outcome}}',
        },
      ],
      { width: 8, description: 'Share of exchanges that did not end in success, per outcome.' },
    ),
    timeseries(
      'p95 latency and time to first token',
      Unit.seconds,
      [
        { expr: quantile(0.95, rate('durationBucket')), legend: 'duration p95' },
        { expr: quantile(0.95, rate('ttftBucket')), legend: 'time to first token p95' },
      ],
      { width: 8 },
    ),

    { row: 'Tokens and images' },
    timeseries(
      'Tokens/s by kind',
      Unit.tokensPerSecond,
      [{ expr: sum(rate('tokens'), ['token_kind']), legend: '{{token_kind}}' }],
      { description: 'Kinds overlap: cache is part of host_in, reasoning part of host_out.' },
    ),
    timeseries(
      'Billable tokens/s by model',
      Unit.tokensPerSecond,
      [{ expr: sum(rate('tokens', BILLABLE_KINDS), ['model']), legend: '{{model}}' }],
      { stacked: true, description: 'host_in + host_out + image_in + image_out.' },
    ),
    stat(
      'Image tokens over the range',
      Unit.tokens,
      [
        {
          expr: sum(increase('tokens', { token_kind: '=~image_in|image_out' }), ['token_kind']),
          legend: '{{token_kind}}',
        },
      ],
      { width: 8 },
    ),
    stat(
      'Image requests over the range',
      Unit.requests,
      [{ expr: sum(increase('imageRequests'), ['image_outcome']), legend: '{{image_outcome}}' }],
      { width: 8 },
    ),
    stat('Requests in progress', Unit.requests, [{ expr: sum(sel('active')) }], { width: 8 }),
  ],
};
