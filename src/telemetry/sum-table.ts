import type { Attributes, Meter, MetricOptions, ObservableResult } from '@opentelemetry/api';

/**
 * A counter (or up-down counter) whose sums Tollgate keeps itself and reports through an
 * observable instrument when metrics are collected. The exported series are the same as a
 * synchronous instrument's. Why: a synchronous OpenTelemetry instrument sorts and serialises
 * the attribute keys on every `add`, and an exchange adds to half a dozen counters; here an
 * `add` is a few Map lookups, and the sorting happens once per series and scrape.
 */
export class SumTable {
  /** A tree with one level per attribute name and one per value, in the order the caller wrote
   * them: finding a series allocates nothing. */
  private readonly root: Node = { next: new Map() };
  private readonly sums: Sum[] = [];

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
    // A counter never goes down: OpenTelemetry drops such a value, and so does this.
    if (!Number.isFinite(value) || (this.kind === 'counter' && value < 0)) return;
    let node = this.root;
    for (const name in attributes) {
      node = step(step(node, name), attributes[name]);
    }
    if (node.sum) node.sum.value += value;
    else this.sums.push((node.sum = { attributes: { ...attributes }, value }));
  }

  /** Entries that name the same attributes in another order are one series: they are added up
   * here, since an observable instrument keeps only the last value observed per series. */
  private observe(result: ObservableResult): void {
    const series = new Map<string, { attributes: Attributes; value: number }>();
    for (const { attributes, value } of this.sums) {
      const id = seriesId(attributes);
      const same = series.get(id);
      if (same) same.value += value;
      else series.set(id, { attributes, value });
    }
    for (const { attributes, value } of series.values()) result.observe(value, attributes);
  }
}

interface Sum {
  attributes: Attributes;
  value: number;
}

interface Node {
  next: Map<unknown, Node>;
  sum?: Sum;
}

function step(node: Node, key: unknown): Node {
  let next = node.next.get(key);
  if (!next) node.next.set(key, (next = { next: new Map() }));
  return next;
}

/** The same for the same names and values, whatever their order. */
function seriesId(attributes: Attributes): string {
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((name) => [name, attributes[name]]),
  );
}
