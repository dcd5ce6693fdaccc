import { quantile, rate, sel, sum } from '../promql.js';
import { TEMPO, timeseries, Unit } from '../panels.js';
import type { DashboardSpec } from '../spec.js';
import { tracesLink } from '../variables.js';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { DataqueryBuilder as TempoQueryBuilder } from '@grafana/grafana-foundation-sdk/tempo';

/** Bucket rates recorded over 5m (prometheus/rules/recording.yml), without outcome labels. */
const DURATION = sel('durationBucketRate5m');
const TTFT = sel('ttftBucketRate5m');

/** How fast, how often it fails, and what the upstream answered. */
export const latency: DashboardSpec = {
  uid: 'tollgate-latency',
  file: 'latency.json',
  title: 'Tollgate / Latency and errors',
  description: 'Duration and time to first token by route and model, outcomes, upstream attempts.',
  content: () => [
    { row: 'Latency' },
    ...[0.5, 0.95, 0.99].map((q) =>
      timeseries(
        `Request duration p${q * 100} by route`,
        Unit.seconds,
        [{ expr: quantile(q, DURATION, ['route', 'model']), legend: '{{route}} {{model}}' }],
        {
          width: 8,
          links: [tracesLink()],
          description:
            'From the arrival of a request to its ending. Click a series for its traces.',
        },
      ),
    ),
    timeseries(
      'Time to first token p50 / p95 by model',
      Unit.seconds,
      [
        { expr: quantile(0.5, TTFT, ['route', 'model']), legend: 'p50 {{route}} {{model}}' },
        { expr: quantile(0.95, TTFT, ['route', 'model']), legend: 'p95 {{route}} {{model}}' },
      ],
      {
        links: [tracesLink()],
        description: 'Streams only: from arrival to the first generated content.',
      },
    ),
    slowTraces(),

    { row: 'Errors and retries' },
    timeseries(
      'Outcomes/s',
      Unit.requestsPerSecond,
      [{ expr: sum(rate('requests'), ['outcome']), legend: '{{outcome}}' }],
      { stacked: true, width: 8 },
    ),
    timeseries(
      'Status codes sent to clients/s',
      Unit.requestsPerSecond,
      [
        {
          expr: sum(rate('requests'), ['status_code']),
          legend: '{{status_code}}',
        },
      ],
      { stacked: true, width: 8, description: '499: the client left before any status was sent.' },
    ),
    timeseries(
      'Upstream attempts/s by status',
      Unit.requestsPerSecond,
      [{ expr: sum(rate('attempts'), ['status_code']), legend: '{{status_code}}' }],
      { stacked: true, width: 8, description: '`error`: no response (connect error, timeout).' },
    ),
    timeseries(
      'Retries/s',
      Unit.requestsPerSecond,
      [
        {
          expr: `${sum(rate('attempts'))}\n- ${sum(rate('requests', { account: '!=none' }))}`,
          legend: 'attempts beyond the first',
        },
      ],
      {
        width: 12,
        description:
          'Upstream attempts minus exchanges that made any: the retries on another account.',
      },
    ),
    timeseries(
      'Requests in progress by route',
      Unit.requests,
      [{ expr: sum(sel('active'), ['route']), legend: '{{route}}' }],
      { width: 12 },
    ),
  ],
};

/** Recent slow exchanges straight from Tempo; each row opens its trace. */
function slowTraces(): Table {
  return new Table()
    .title('Slow exchanges (traces)')
    .description('Tollgate traces over 5 s, newest first, from the Tempo datasource.')
    .datasource(TEMPO)
    .unit(Unit.seconds)
    .height(8)
    .span(12)
    .withTarget(
      new TempoQueryBuilder()
        .queryType('traceql')
        .query('{resource.service.name="tollgate" && duration > 5s}')
        .limit(20),
    );
}
