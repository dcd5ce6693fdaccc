import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDashboards, DASHBOARD_DIR, render } from './index.js';

/** `npm run dashboards`: writes every dashboard's JSON into grafana/dashboards/. */

mkdirSync(DASHBOARD_DIR, { recursive: true });
for (const { file, json } of buildDashboards()) {
  writeFileSync(join(DASHBOARD_DIR, file), render(json));
  console.log(`wrote grafana/dashboards/${file}`);
}
