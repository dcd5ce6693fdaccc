import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One query of one panel, as Grafana would send it to Prometheus. */
export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

type Json = Record<string, unknown>;

export function readDashboards(dir: string): { file: string; json: Json }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Json }));
}

/** Every panel, rows' nested panels included. */
export function panelsOf(json: Json): Json[] {
  const panels = (json.panels ?? []) as Json[];
  return panels.flatMap((p) => [p, ...((p.panels ?? []) as Json[])]);
}

/** Every Prometheus query of every panel; panels on other datasources (Tempo) are left out. */
export function prometheusQueries(dashboards: { file: string; json: Json }[]): PanelQuery[] {
  return dashboards.flatMap(({ file, json }) =>
    panelsOf(json).flatMap((panel) =>
      ((panel.targets ?? []) as Json[])
        .filter((t) => datasourceType(t, panel) === 'prometheus')
        .map((t) => ({
          dashboard: file,
          panel: String(panel.title),
          refId: String(t.refId),
          expr: String(t.expr),
          instant: t.instant === true,
        })),
    ),
  );
}

export function datasourceType(target: Json, panel: Json): string | undefined {
  const ds = (target.datasource ?? panel.datasource) as { type?: string } | undefined;
  return ds?.type;
}

/** Grafana's variables as a test sets them: every filter on "All", windows chosen by the test. */
export function substitute(expr: string, windows: { range: string; rateInterval: string }): string {
  const text = expr
    .replaceAll('$__rate_interval', windows.rateInterval)
    .replaceAll('$__interval', windows.rateInterval)
    .replaceAll('$__range', windows.range)
    .replace(/\$\{?(instance|model|account|client|route)\}?/g, '.*');
  if (text.includes('$')) throw new Error(`unsubstituted variable in: ${text}`);
  return text;
}
