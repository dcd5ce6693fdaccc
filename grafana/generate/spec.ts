import type { Panel } from './panels.js';

/** A row header, or a panel placed left to right, top to bottom, after it. */
export type Item = { row: string } | Panel;

/** One dashboard: where it is written, how Grafana knows it, and what it shows. */
export interface DashboardSpec {
  uid: string;
  file: string;
  title: string;
  description: string;
  content: () => Item[];
}
