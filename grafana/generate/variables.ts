import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { PROMETHEUS, TEMPO } from './panels.js';

/**
 * The template variables every dashboard shares: the Prometheus datasource, then one
 * multi-select filter per label, each listing the values Prometheus has seen ("All" matches any).
 */

const FILTERS = [
  { name: 'instance', label: 'Instance' },
  { name: 'model', label: 'Model' },
  { name: 'account', label: 'Account' },
  { name: 'client', label: 'Client' },
  { name: 'route', label: 'Route' },
] as const;

export function variables(): cog.Builder<dashboard.VariableModel>[] {
  const datasource = new dashboard.DatasourceVariableBuilder('datasource')
    .label('Prometheus')
    .type('prometheus');
  return [datasource, ...FILTERS.map(({ name, label }) => filter(name, label))];
}

function filter(name: string, label: string): dashboard.QueryVariableBuilder {
  // Instances filter the others, so a choice of instance narrows the lists below it.
  const source =
    name === 'instance'
      ? 'tollgate_requests_total'
      : 'tollgate_requests_total{instance=~"$instance"}';
  const query = `label_values(${source}, ${name})`;
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(PROMETHEUS)
    .query({ query, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 })
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all', selected: true });
}

/** A data link from a latency series to the traces of its route and model in Tempo. */
export function tracesLink(): dashboard.DashboardLinkBuilder {
  const traceql =
    '{resource.service.name="tollgate" && span.http.route="${__field.labels.route}"' +
    ' && span.gen_ai.request.model="${__field.labels.model}"}';
  const pane = {
    datasource: TEMPO.uid,
    queries: [{ refId: 'A', datasource: TEMPO, queryType: 'traceql', query: traceql }],
    range: { from: '${__from}', to: '${__to}' },
  };
  // Grafana interpolates ${…} before following the link; everything else must be URL-encoded.
  const encoded = encodeURIComponent(JSON.stringify({ traces: pane })).replace(
    /%24%7B(__[a-z_.]+)%7D/g,
    (_, variable: string) => `\${${variable}:percentencode}`,
  );
  return new dashboard.DashboardLinkBuilder('Traces of this route and model in Tempo')
    .url(`/explore?schemaVersion=1&panes=${encoded}`)
    .targetBlank(true);
}
