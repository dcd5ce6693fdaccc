import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDashboards, DASHBOARD_DIR, render } from '../grafana/generate/index.js';
import { datasourceType, panelsOf, readDashboards } from './support/dashboard-queries.js';

/**
 * The dashboards as Grafana loads them from grafana/dashboards/: the same bytes the generator
 * writes, a unit on every panel, the shared filters, and hit rates an operator can read.
 */

type Json = Record<string, any>;
const dashboards = readDashboards(DASHBOARD_DIR);
const panels = dashboards.flatMap(({ file, json }) =>
  panelsOf(json)
    .filter((p) => p.type !== 'row')
    .map((p) => ({ file, panel: p as Json })),
);

describe('the committed dashboards', () => {
  it('are exactly what `npm run dashboards` generates', () => {
    const built = buildDashboards();
    expect(dashboards.map((d) => d.file)).toEqual(built.map((b) => b.file).sort());
    for (const { file, json } of built) {
      const committed = readFileSync(join(DASHBOARD_DIR, file), 'utf8');
      expect(committed, `${file} is stale: run npm run dashboards`).toBe(render(json));
    }
  });

  it('cover overview, tokens, images, latency and accounts, each with a unique uid', () => {
    const uids = dashboards.map((d) => d.json.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(dashboards.map((d) => d.file)).toEqual([
      'accounts.json',
      'images.json',
      'latency.json',
      'overview.json',
      'tokens.json',
    ]);
  });

  it('set a unit on every panel and never repeat a title within a dashboard', () => {
    for (const { file, panel } of panels) {
      expect(panel.fieldConfig?.defaults?.unit, `${file} "${panel.title}"`).toMatch(/\S/);
    }
    for (const { file, json } of dashboards) {
      const titles = panelsOf(json)
        .filter((p) => p.type !== 'row')
        .map((p) => p.title);
      expect(new Set(titles).size, file).toBe(titles.length);
    }
  });

  it('share the datasource and multi-select "All" filters for instance, model, account, client, route', () => {
    for (const { file, json } of dashboards) {
      const list = (json as Json).templating.list as Json[];
      expect(
        list.map((v) => v.name),
        file,
      ).toEqual(['datasource', 'instance', 'model', 'account', 'client', 'route']);
      expect(list[0]).toMatchObject({ type: 'datasource', query: 'prometheus' });
      for (const variable of list.slice(1)) {
        expect(variable, `${file} ${variable.name}`).toMatchObject({
          type: 'query',
          multi: true,
          includeAll: true,
          allValue: '.*',
        });
      }
    }
  });

  it('query Prometheus through the datasource variable, except the Tempo trace panel', () => {
    const tempo = panels.filter(({ panel }) =>
      (panel.targets as Json[]).some((t) => datasourceType(t, panel) === 'tempo'),
    );
    expect(tempo.map((p) => p.panel.title)).toEqual(['Slow exchanges (traces)']);
    for (const { panel } of panels.filter((p) => !tempo.includes(p))) {
      for (const target of panel.targets as Json[]) {
        expect(target.datasource, panel.title).toEqual({
          type: 'prometheus',
          uid: '${datasource}',
        });
      }
    }
  });

  it('link latency panels to their traces in Tempo', () => {
    const latency = panels.filter((p) => p.file === 'latency.json' && /p\d+/.test(p.panel.title));
    expect(latency.length).toBeGreaterThanOrEqual(4);
    for (const { panel } of latency) {
      const link = panel.fieldConfig.defaults.links[0] as Json;
      expect(link.url).toMatch(/^\/explore\?schemaVersion=1&panes=/);
      const decoded = decodeURIComponent(link.url.split('panes=')[1]);
      expect(decoded).toContain('"uid":"tempo"');
      expect(link.url).toContain('${__field.labels.route:percentencode}');
    }
  });
});

/** What Grafana shows for `value` on a ratio panel: first matching mapping, else decimals. */
function shown(panel: Json, value: number | null): string {
  const defaults = panel.fieldConfig.defaults as Json;
  for (const mapping of defaults.mappings as Json[]) {
    const o = mapping.options;
    if (mapping.type === 'special' && (value === null || Number.isNaN(value))) return o.result.text;
    if (value === null || Number.isNaN(value)) continue;
    if (mapping.type === 'value' && o[String(value)]) return o[String(value)].text;
    if (mapping.type === 'range' && value >= o.from && value <= o.to) return o.result.text;
  }
  if (value === null) return defaults.noValue;
  return `${(value * 100).toFixed(defaults.decimals)}%`;
}

describe('cache hit rates', () => {
  const rates = panels.filter((p) => /Cache hit rate/.test(p.panel.title));

  it.each([
    [0.8768, '87.7%'],
    [0.01, '1.0%'],
    [0.00996, '1.00%'],
    [0.0054, '0.54%'],
    [0.00125, '0.13%'],
    [0.0001, '0.01%'],
    [0.00009, '<0.01%'],
    [0.000000001, '<0.01%'],
    [0, '0%'],
    [Number.NaN, '—'],
    [null, '—'],
  ])('show %s as %s', (value, text) => {
    expect(rates.length).toBe(4);
    for (const { panel } of rates) expect(shown(panel, value), panel.title).toBe(text);
  });
});
