import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { accounts } from './dashboards/accounts.js';
import { images } from './dashboards/images.js';
import { latency } from './dashboards/latency.js';
import { overview } from './dashboards/overview.js';
import { tokens } from './dashboards/tokens.js';
import type { DashboardSpec } from './spec.js';
import { variables } from './variables.js';

/**
 * Builds every Tollgate dashboard as the JSON Grafana provisions from grafana/dashboards/.
 * `npm run dashboards` writes them; a test fails when the committed files differ.
 */

/** Where Grafana's provisioning reads the files from. */
export const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboards');

export const DASHBOARDS: readonly DashboardSpec[] = [overview, tokens, images, latency, accounts];

export interface BuiltDashboard {
  file: string;
  json: Record<string, unknown>;
}

export function buildDashboards(): BuiltDashboard[] {
  return DASHBOARDS.map((spec) => ({ file: spec.file, json: build(spec) }));
}

function build(spec: DashboardSpec): Record<string, unknown> {
  const builder = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(['tollgate'])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .link(
      new dashboard.DashboardLinkBuilder('Tollgate')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(['tollgate'])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
  for (const variable of variables()) builder.withVariable(variable);
  for (const item of spec.content()) {
    if ('row' in item) builder.withRow(new dashboard.RowBuilder(item.row));
    else builder.withPanel(item);
  }
  return numbered(builder.build() as unknown as Record<string, unknown>);
}

/** Grafana wants a unique id per panel and a refId per query; the builders leave them unset. */
function numbered(json: Record<string, unknown>): Record<string, unknown> {
  const panels = json.panels as Array<Record<string, unknown>>;
  panels.forEach((panel, index) => {
    panel.id = index + 1;
    const targets = (panel.targets ?? []) as Array<Record<string, unknown>>;
    targets.forEach((target, t) => (target.refId = String.fromCharCode(65 + t)));
  });
  return json;
}

/** The file text: stable key order as built, two-space indent, trailing newline. */
export function render(json: Record<string, unknown>): string {
  return `${JSON.stringify(json, null, 2)}\n`;
}
