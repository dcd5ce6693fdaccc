import type { Attributes } from '@opentelemetry/api';

/** One series of an instrument: its attributes, as first recorded, and what it has gathered. */
export interface Series<T> {
  attributes: Attributes;
  state: T;
}

/**
 * The series of one instrument, found from an attributes object without allocating: a tree
 * with one level per attribute name and one per value, in the order the caller wrote them. An
 * OpenTelemetry instrument instead sorts and serialises the attribute names on every
 * measurement, which is most of what a measurement costs it.
 */
export class SeriesTree<T> {
  private readonly root: Node<T> = { next: new Map() };
  private readonly series: Series<T>[] = [];

  constructor(private readonly create: () => T) {}

  /** The state of the series with these attributes, created on first use. */
  find(attributes: Attributes): T {
    let node = this.root;
    for (const name in attributes) {
      node = step(step(node, name), attributes[name]);
    }
    if (!node.series) {
      node.series = { attributes: { ...attributes }, state: this.create() };
      this.series.push(node.series);
    }
    return node.series.state;
  }

  /** Every series, those that name the same attributes in another order grouped together:
   * each group is one exported series. */
  grouped(): Series<T[]>[] {
    const groups = new Map<string, Series<T[]>>();
    for (const { attributes, state } of this.series) {
      const id = seriesId(attributes);
      const group = groups.get(id);
      if (group) group.state.push(state);
      else groups.set(id, { attributes, state: [state] });
    }
    return [...groups.values()];
  }
}

interface Node<T> {
  next: Map<unknown, Node<T>>;
  series?: Series<T>;
}

function step<T>(node: Node<T>, key: unknown): Node<T> {
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
