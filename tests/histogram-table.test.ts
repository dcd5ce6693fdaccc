import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HistogramTables } from '../src/telemetry/histogram-tables.js';

/**
 * Tollgate keeps its histograms itself, for speed. A scrape or an OTLP export must show exactly
 * what an OpenTelemetry histogram with the same bucket boundaries would show.
 */

/** Collects on demand, as a scrape does. */
class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const BOUNDARIES = [0.005, 0.01, 0.5, 1, 10, 120];

function setup() {
  const tables = new HistogramTables('tollgate');
  const reader = new OnDemandReader({ metricProducers: [tables] });
  const provider = new MeterProvider({ readers: [reader] });
  const reference = provider.getMeter('reference').createHistogram('reference', {
    unit: 's',
    advice: { explicitBucketBoundaries: BOUNDARIES },
  });
  const table = tables.create({
    name: 'table',
    description: 'seconds',
    unit: 's',
    boundaries: BOUNDARIES,
  });
  const collect = async () => {
    const { resourceMetrics } = await reader.collect();
    const byName = new Map(
      resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .map((metric) => [metric.descriptor.name, metric as HistogramMetricData]),
    );
    return { reference: byName.get('reference'), table: byName.get('table') };
  };
  return { reference, table, collect };
}

/** The data points as a scrape renders them: attributes with sorted names, and the value. */
function points(metric: HistogramMetricData | undefined) {
  return (metric?.dataPoints ?? [])
    .map((p) => ({
      attributes: Object.fromEntries(Object.entries(p.attributes).sort()),
      value: p.value,
    }))
    .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));
}

/** The sum of a series recorded under two attribute orders is added up in another order than
 * the SDK's, so sums are compared to within rounding, and everything else exactly. */
function expectSameHistograms(
  table: HistogramMetricData | undefined,
  reference: HistogramMetricData | undefined,
) {
  const [mine, theirs] = [points(table), points(reference)];
  const withoutSums = (list: typeof mine) =>
    list.map((p) => ({ ...p, value: { ...p.value, sum: undefined } }));
  expect(withoutSums(mine)).toEqual(withoutSums(theirs));
  mine.forEach((p, i) => {
    const [a, b] = [p.value.sum ?? 0, theirs[i].value.sum ?? 0];
    if (a === b) return;
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(Math.abs(a), Math.abs(b)));
  });
}

const value = fc.oneof(
  fc.double({ min: 0, max: 200, noNaN: true }),
  fc.constantFrom(0, ...BOUNDARIES, -1, NaN, Infinity, 1e9),
);
const ATTRIBUTE_SETS = [
  { route: '/v1/responses', account: 'team-a' },
  { account: 'team-a', route: '/v1/responses' },
  { route: '/v1/chat/completions', account: 'team-b' },
  {},
];
const attributes = fc.constantFrom(...ATTRIBUTE_SETS);

describe('HistogramTable', () => {
  it('exports what an OpenTelemetry histogram with the same boundaries exports', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(value, attributes), { maxLength: 60 }), async (rows) => {
        const { reference, table, collect } = setup();
        for (const [v, attrs] of rows) {
          reference.record(v, attrs);
          table.record(v, attrs);
        }
        const first = await collect();
        expectSameHistograms(first.table, first.reference);
      }),
      { numRuns: 200 },
    );
  });

  it('exports the same when recorded through held series as when looked up each time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(value, attributes, fc.boolean()), { maxLength: 60 }),
        async (rows) => {
          const { reference, table, collect } = setup();
          // Held before anything is recorded, for every set: holding one must not export it.
          const held = new Map(ATTRIBUTE_SETS.map((attrs) => [attrs, table.series(attrs)]));
          for (const [v, attrs, viaHandle] of rows) {
            reference.record(v, attrs);
            if (viaHandle) held.get(attrs)!.record(v);
            else table.record(v, attrs);
          }
          const first = await collect();
          expectSameHistograms(first.table, first.reference);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is a cumulative histogram: a second collection includes the first', async () => {
    const { table, collect } = setup();
    table.record(0.2, { route: '/a' });
    await collect();
    table.record(7, { route: '/a' });
    const { table: metric } = await collect();
    expect(metric?.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(metric?.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(metric?.descriptor).toMatchObject({ name: 'table', unit: 's', description: 'seconds' });
    expect(metric?.dataPoints).toHaveLength(1);
    expect(metric?.dataPoints[0].value).toEqual({
      buckets: { boundaries: BOUNDARIES, counts: [0, 0, 1, 0, 1, 0, 0] },
      sum: 7.2,
      count: 2,
      min: 0.2,
      max: 7,
    });
  });
});
