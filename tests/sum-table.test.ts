import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { SumTable } from '../src/telemetry/sum-table.js';

/** Collects on demand, as a scrape does. */
class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function setup(kind: 'counter' | 'upDownCounter') {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  const table = new SumTable(provider.getMeter('test'), 'things', {}, kind);
  const collect = async () => {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics[0]?.metrics[0];
    const points = (metric?.dataPoints ?? []) as { attributes: object; value: number }[];
    return points.map((p) => ({ attributes: p.attributes, value: p.value }));
  };
  return { table, collect };
}

describe('SumTable', () => {
  it('sums by attribute set, whatever order the names come in', async () => {
    const { table, collect } = await setup('counter');
    table.add(1, { route: '/a', account: 'x' });
    table.add(2, { account: 'x', route: '/a' });
    table.add(5, { route: '/b', account: 'x' });
    table.add(-3, { route: '/a', account: 'x' });
    expect(await collect()).toEqual([
      { attributes: { route: '/a', account: 'x' }, value: 3 },
      { attributes: { route: '/b', account: 'x' }, value: 5 },
    ]);
    // Cumulative, as a synchronous counter: a second collection sees the totals again.
    table.add(1, { route: '/b', account: 'x' });
    expect((await collect())[1].value).toBe(6);
  });

  it('keeps attributes apart that share values under other names', async () => {
    const { table, collect } = await setup('counter');
    table.add(1, { a: 'v', b: 'w' });
    table.add(1, { a: 'w', b: 'v' });
    table.add(1, { c: 'v', d: 'w' });
    expect(await collect()).toHaveLength(3);
  });

  it('adds through a held series as through lookups, exporting it from its first value on', async () => {
    const { table, collect } = await setup('counter');
    const a = table.series({ route: '/a', account: 'x' });
    const b = table.series({ route: '/b', account: 'x' });
    a.add(-1);
    a.add(NaN);
    b.add(Infinity);
    expect(await collect()).toEqual([]);
    a.add(2);
    table.add(1, { account: 'x', route: '/a' });
    a.add(0.5);
    expect(await collect()).toEqual([{ attributes: { route: '/a', account: 'x' }, value: 3.5 }]);
    b.add(0);
    expect(await collect()).toContainEqual({ attributes: { route: '/b', account: 'x' }, value: 0 });
  });

  it('goes up and down as an up-down counter', async () => {
    const { table, collect } = await setup('upDownCounter');
    table.add(1, { route: '/a' });
    table.add(1, { route: '/a' });
    table.add(-2, { route: '/a' });
    expect(await collect()).toEqual([{ attributes: { route: '/a' }, value: 0 }]);
    const held = table.series({ route: '/a' });
    held.add(-1);
    expect(await collect()).toEqual([{ attributes: { route: '/a' }, value: -1 }]);
  });
});
