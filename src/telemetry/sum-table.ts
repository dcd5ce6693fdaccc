import type { Attributes, Meter, MetricOptions, ObservableResult } from '@opentelemetry/api';
import { SeriesTree } from './series-tree.js';

/** One series of a SumTable, held by a caller that adds to it often: an `add` finds nothing. */
export interface SumSeries {
  add(value: number): void;
}

/**
 * A counter (or up-down counter) whose sums Tollgate keeps itself and reports through an
 * observable instrument when metrics are collected. The exported series are the same as a
 * synchronous instrument's. Why: a synchronous OpenTelemetry instrument sorts and serialises
 * the attribute keys on every `add`, and an exchange adds to half a dozen counters; here an
 * `add` is a few Map lookups (see SeriesTree), and the sorting happens once per series and
 * scrape.
 */
export class SumTable {
  private readonly tree = new SeriesTree<{ value: number }>(() => ({ value: 0 }));

  constructor(
    meter: Meter,
    name: string,
    options: MetricOptions,
    private readonly kind: 'counter' | 'upDownCounter' = 'counter',
  ) {
    const instrument =
      kind === 'counter'
        ? meter.createObservableCounter(name, options)
        : meter.createObservableUpDownCounter(name, options);
    instrument.addCallback((result) => this.observe(result));
  }

  add(value: number, attributes: Attributes = {}): void {
    if (this.accepts(value)) this.tree.find(attributes).value += value;
  }

  /** The series with these attributes, to add to without finding it each time. It exists (and
   * is exported) from its first accepted value on, as with `add`. */
  series(attributes: Attributes): SumSeries {
    let sum: { value: number } | undefined;
    return {
      add: (value) => {
        if (this.accepts(value)) (sum ??= this.tree.find(attributes)).value += value;
      },
    };
  }

  /** A counter never goes down: OpenTelemetry drops such a value, and so does this. */
  private accepts(value: number): boolean {
    return Number.isFinite(value) && (this.kind === 'upDownCounter' || value >= 0);
  }

  /** An observable instrument keeps only the last value observed per series: sums recorded
   * under the same attributes in another order are added up first. */
  private observe(result: ObservableResult): void {
    for (const { attributes, state } of this.tree.grouped()) {
      result.observe(
        state.reduce((sum, s) => sum + s.value, 0),
        attributes,
      );
    }
  }
}
