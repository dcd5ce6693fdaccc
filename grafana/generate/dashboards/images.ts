import * as common from '@grafana/grafana-foundation-sdk/common';
import { increase, quantile, rate, ratio, sum } from '../promql.js';
import { stat, table, timeseries, Unit } from '../panels.js';
import type { DashboardSpec } from '../spec.js';

const IMAGE = { image_outcome: '!=none' };

/** Image generation: did requests produce images, what did they cost, how long did they take. */
export const images: DashboardSpec = {
  uid: 'tollgate-images',
  file: 'images.json',
  title: 'Tollgate / Images',
  description: 'Image requests by outcome and reason, image tokens, and generation time.',
  content: () => [
    { row: 'Outcomes' },
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
      { width: 6, height: 8, description: 'Requests that returned image output tokens.' },
    ),
    timeseries(
      'Image requests/s by outcome and reason',
      Unit.requestsPerSecond,
      [
        {
          expr: sum(rate('imageRequests'), ['image_outcome', 'reason']),
          legend: '{{image_outcome}} ({{reason}})',
        },
      ],
      { stacked: true, width: 9 },
    ),
    table(
      'Image requests over the range by outcome and reason',
      Unit.requests,
      [{ expr: sum(increase('imageRequests'), ['model', 'image_outcome', 'reason']) }],
      { width: 9 },
    ),

    { row: 'Tokens and time' },
    timeseries(
      'Image tokens/s by model',
      Unit.tokensPerSecond,
      [
        {
          expr: sum(rate('tokens', { token_kind: '=~image_in|image_out' }), [
            'model',
            'token_kind',
          ]),
          legend: '{{model}} {{token_kind}}',
        },
      ],
      { width: 12 },
    ),
    timeseries(
      'Image request duration p50 / p95',
      Unit.seconds,
      [
        {
          expr: quantile(0.5, rate('durationBucket', IMAGE), ['image_outcome']),
          legend: 'p50 {{image_outcome}}',
        },
        {
          expr: quantile(0.95, rate('durationBucket', IMAGE), ['image_outcome']),
          legend: 'p95 {{image_outcome}}',
        },
      ],
      {
        width: 12,
        description: 'Generation can take minutes: buckets reach 300 s, the axis is logarithmic.',
      },
    )
      .scaleDistribution(scaleLog())
      .min(0.01),
  ],
};

function scaleLog() {
  return new common.ScaleDistributionConfigBuilder().type(common.ScaleDistribution.Log).log(10);
}
