import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type Histogram,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics';
import { SeriesTree } from './series-tree.js';

export interface HistogramOptions {
  name: string;
  description: string;
  unit: string;
  /** Upper bounds of the buckets, ascending; a last bucket takes everything above. */
  boundaries: readonly number[];
}

/** What one series has gathered since the process started. */
interface Tally {
  /** One count per bucket, the last for values above every boundary. */
  counts: number[];
  sum: number;
  count: number;
  min: number;
  max: number;
}

/** One series of a HistogramTable, held by a caller that records to it often: a `record` finds
 * nothing. */
export interface HistogramSeries {
  record(value: number): void;
}

/**
 * A histogram whose buckets Tollgate keeps itself, exported through `HistogramTables`. The
 * exported series are those an OpenTelemetry histogram with the same bucket boundaries would
 * export (buckets bounded above, inclusive; sum, count, min and max; cumulative), but recording
 * costs a few Map lookups (see SeriesTree) instead of sorting and serialising the attributes:
 * an exchange records four or five of them.
 */
export class HistogramTable {
  private readonly tree: SeriesTree<Tally>;
  private readonly startTime: HrTime = millisToHrTime(Date.now());

  constructor(readonly options: HistogramOptions) {
    const buckets = options.boundaries.length + 1;
    this.tree = new SeriesTree(() => ({
      counts: new Array<number>(buckets).fill(0),
      sum: 0,
      count: 0,
      min: Infinity,
      max: -Infinity,
    }));
  }

  record(value: number, attributes: Attributes = {}): void {
    if (makesSeries(value)) this.count(this.tree.find(attributes), value);
  }

  /** The series with these attributes, to record to without finding it each time. It exists
   * (and is exported) from its first value that is not negative on, as with `record`. */
  series(attributes: Attributes): HistogramSeries {
    let tally: Tally | undefined;
    return {
      record: (value) => {
        if (!makesSeries(value)) return;
        tally ??= this.tree.find(attributes);
        this.count(tally, value);
      },
    };
  }

  private count(tally: Tally, value: number): void {
    if (Number.isNaN(value)) return;
    tally.counts[bucketOf(this.options.boundaries, value)]++;
    tally.sum += value;
    tally.count++;
    if (value < tally.min) tally.min = value;
    if (value > tally.max) tally.max = value;
  }

  /** The table as OpenTelemetry metric data, as of `endTime`. */
  collect(endTime: HrTime): HistogramMetricData {
    const { name, description, unit, boundaries } = this.options;
    return {
      descriptor: { name, description, unit, valueType: ValueType.DOUBLE },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: this.tree.grouped().map(({ attributes, state }): DataPoint<Histogram> => ({
        attributes,
        startTime: this.startTime,
        endTime,
        value: merged(state, boundaries),
      })),
    };
  }
}

/** The bucket a value falls in: the first whose upper bound is at least the value. */
function bucketOf(boundaries: readonly number[], value: number): number {
  let low = 0;
  let high = boundaries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (boundaries[mid] < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** As an OpenTelemetry histogram does, a negative value is dropped, and NaN is not counted but
 * makes its series exist. */
function makesSeries(value: number): boolean {
  return value >= 0 || Number.isNaN(value);
}

/** One exported point from the tallies of a series recorded under several attribute orders. */
function merged(tallies: Tally[], boundaries: readonly number[]): Histogram {
  const counts = new Array<number>(boundaries.length + 1).fill(0);
  let sum = 0;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const tally of tallies) {
    tally.counts.forEach((n, i) => (counts[i] += n));
    sum += tally.sum;
    count += tally.count;
    min = Math.min(min, tally.min);
    max = Math.max(max, tally.max);
  }
  const buckets = { boundaries: [...boundaries], counts };
  return count > 0 ? { buckets, sum, count, min, max } : { buckets, sum, count };
}
