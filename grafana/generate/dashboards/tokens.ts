import { BILLABLE_KINDS, increase, rate, ratio, sum } from '../promql.js';
import { bars, hitRate, rangeCacheHitRate, table, timeseries, Unit } from '../panels.js';
import type { DashboardSpec } from '../spec.js';

const KIND_NOTE =
  'Kinds overlap: cache and cache_write are part of host_in, reasoning of host_out.';

/** Where tokens go: by kind, model, account and client, and how much the cache saves. */
export const tokens: DashboardSpec = {
  uid: 'tollgate-tokens',
  file: 'tokens.json',
  title: 'Tollgate / Tokens and cache',
  description: 'Tokens by kind, model, account and client; cache hit rate and cache writes.',
  content: () => [
    { row: 'Tokens' },
    timeseries(
      'Tokens/s by kind',
      Unit.tokensPerSecond,
      [{ expr: sum(rate('tokens'), ['token_kind']), legend: '{{token_kind}}' }],
      { description: KIND_NOTE },
    ),
    table(
      'Tokens over the range by model and kind',
      Unit.tokens,
      [{ expr: sum(increase('tokens'), ['model', 'token_kind']) }],
      { description: KIND_NOTE },
    ),
    timeseries(
      'Billable tokens/s by model',
      Unit.tokensPerSecond,
      [{ expr: sum(rate('tokens', BILLABLE_KINDS), ['model']), legend: '{{model}}' }],
      { stacked: true, width: 8, description: 'host_in + host_out + image_in + image_out.' },
    ),
    timeseries(
      'Billable tokens/s by account',
      Unit.tokensPerSecond,
      [{ expr: sum(rate('tokens', BILLABLE_KINDS), ['account']), legend: '{{account}}' }],
      { stacked: true, width: 8 },
    ),
    timeseries(
      'Billable tokens/s by client',
      Unit.tokensPerSecond,
      [{ expr: sum(rate('tokens', BILLABLE_KINDS), ['client']), legend: '{{client}}' }],
      { stacked: true, width: 8 },
    ),
    bars(
      'Billable tokens over the range by client',
      Unit.tokens,
      [{ expr: sum(increase('tokens', BILLABLE_KINDS), ['client']), legend: '{{client}}' }],
      { width: 12 },
    ),
    bars(
      'Estimated cost over the range by model',
      Unit.usd,
      [{ expr: sum(increase('costUsd'), ['model']), legend: '{{model}}' }],
      { width: 12 },
    ),

    { row: 'Cache' },
    hitRate(
      timeseries(
        'Cache hit rate by model',
        Unit.ratio,
        [
          {
            expr: ratio(
              sum(rate('tokens', { token_kind: 'cache' }), ['model']),
              sum(rate('tokens', { token_kind: 'host_in' }), ['model']),
            ),
            legend: '{{model}}',
          },
        ],
        {
          description:
            'Cached prompt tokens over all prompt tokens; gaps where there was no input.',
        },
      ),
    ),
    rangeCacheHitRate({ width: 6, height: 8 }),
    timeseries(
      'Cache reads and writes',
      Unit.tokensPerSecond,
      [
        {
          expr: sum(rate('tokens', { token_kind: 'cache' }), ['model']),
          legend: 'read {{model}}',
        },
        {
          expr: sum(rate('tokens', { token_kind: 'cache_write' }), ['model']),
          legend: 'written {{model}}',
        },
      ],
      { width: 6, description: 'Cache writes are reported by providers that bill them.' },
    ),
    timeseries(
      'Reasoning share of output tokens',
      Unit.ratio,
      [
        {
          expr: ratio(
            sum(rate('tokens', { token_kind: 'reasoning' }), ['model']),
            sum(rate('tokens', { token_kind: 'host_out' }), ['model']),
          ),
          legend: '{{model}}',
        },
      ],
      { width: 12 },
    ),
  ],
};
