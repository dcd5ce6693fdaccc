import { PanelBuilder as BarGauge } from '@grafana/grafana-foundation-sdk/bargauge';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import { hitRateMappings } from './hit-rate.js';
import { increase, ratio, sum } from './promql.js';

/**
 * Small factories for the panel shapes the dashboards use. Each sets the datasource, a unit and
 * a legend, so a dashboard file only says what a panel shows.
 */

/** The Prometheus datasource chosen by the `datasource` variable. */
export const PROMETHEUS = { type: 'prometheus', uid: '${datasource}' };
/** The Tempo datasource provisioned with this uid (grafana/provisioning/datasources). */
export const TEMPO = { type: 'tempo', uid: 'tempo' };

/** Grafana units: custom `count:` units keep SI-style abbreviations (1.5K tok). */
export const Unit = {
  tokens: 'count:tok',
  tokensPerSecond: 'count:tok/s',
  requests: 'count:req',
  requestsPerSecond: 'reqps',
  accounts: 'count:accounts',
  usd: 'currencyUSD',
  ratio: 'percentunit',
  seconds: 's',
} as const;

export interface Query {
  expr: string;
  legend?: string;
}

export interface PanelOptions {
  description?: string;
  width?: number;
  height?: number;
}

type Panel = cog.Builder<dashboard.Panel>;

/** A range query, as time-series panels run them. */
function rangeQuery({ expr, legend }: Query): DataqueryBuilder {
  const query = new DataqueryBuilder().datasource(PROMETHEUS).expr(expr).range();
  return legend === undefined ? query : query.legendFormat(legend);
}

/** An instant query at the end of the range, as stat, gauge and table panels run them. */
function instantQuery({ expr, legend }: Query): DataqueryBuilder {
  const query = new DataqueryBuilder().datasource(PROMETHEUS).expr(expr).instant();
  return legend === undefined ? query : query.legendFormat(legend);
}

export function timeseries(
  title: string,
  unit: string,
  queries: Query[],
  options: PanelOptions & { stacked?: boolean; links?: dashboard.DashboardLinkBuilder[] } = {},
): TimeSeries {
  const panel = new TimeSeries()
    .title(title)
    .datasource(PROMETHEUS)
    .unit(unit)
    .min(0)
    .height(options.height ?? 8)
    .span(options.width ?? 12)
    .lineWidth(1)
    .fillOpacity(options.stacked ? 30 : 10)
    .showPoints(common.VisibilityMode.Never)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .calcs([]),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    );
  if (options.stacked) {
    panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  }
  if (options.description) panel.description(options.description);
  if (options.links) panel.dataLinks(options.links);
  for (const query of queries) panel.withTarget(rangeQuery(query));
  return panel;
}

export function stat(
  title: string,
  unit: string,
  queries: Query[],
  options: PanelOptions = {},
): Stat {
  const panel = new Stat()
    .title(title)
    .datasource(PROMETHEUS)
    .unit(unit)
    .height(options.height ?? 4)
    .span(options.width ?? 4)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  if (options.description) panel.description(options.description);
  for (const query of queries) panel.withTarget(instantQuery(query));
  return panel;
}

/** Horizontal bars, one per series: shares of a whole at the end of the range. */
export function bars(
  title: string,
  unit: string,
  queries: Query[],
  options: PanelOptions = {},
): BarGauge {
  const panel = new BarGauge()
    .title(title)
    .datasource(PROMETHEUS)
    .unit(unit)
    .min(0)
    .height(options.height ?? 8)
    .span(options.width ?? 8)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  if (options.description) panel.description(options.description);
  for (const query of queries) panel.withTarget(instantQuery(query));
  return panel;
}

/** One row per label combination, one value column: totals over the range. */
export function table(
  title: string,
  unit: string,
  queries: Query[],
  options: PanelOptions = {},
): Table {
  const panel = new Table()
    .title(title)
    .datasource(PROMETHEUS)
    .unit(unit)
    .height(options.height ?? 8)
    .span(options.width ?? 12)
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } });
  if (options.description) panel.description(options.description);
  for (const query of queries) {
    panel.withTarget(instantQuery(query).format(PromQueryFormat.Table));
  }
  return panel;
}

/**
 * A cache hit rate, shown with adaptive precision: one decimal from 1%, two below, `<0.01%`
 * for a positive rate under 0.01%, `0%` for zero and `—` when there was no input at all.
 */
export function hitRate<P extends Stat | TimeSeries>(panel: P): P {
  panel.decimals(1).max(1).mappings(hitRateMappings()).noValue('—');
  return panel;
}

/** Prompt tokens read from the provider's cache over all prompt tokens, across the range. */
export function rangeCacheHitRate(options: PanelOptions = {}): Stat {
  const expr = ratio(
    sum(increase('tokens', { token_kind: 'cache' })),
    sum(increase('tokens', { token_kind: 'host_in' })),
  );
  return hitRate(stat('Cache hit rate over the range', Unit.ratio, [{ expr }], options));
}

export type { Panel };
