/**
 * The series Tollgate exports and the PromQL the dashboards build from them. Every selector
 * carries the dashboard's template variables for the labels its series has, so one choice of
 * model, account, client, route or instance filters every panel that can honour it.
 */

const WHO = ['route', 'model', 'account', 'client'] as const;

/** Label sets per series, as pinned by the metric contract (instance comes from the scrape). */
export const SERIES = {
  requests: { name: 'tollgate_requests_total', labels: WHO },
  tokens: { name: 'tollgate_tokens_total', labels: WHO },
  imageRequests: { name: 'tollgate_image_requests_total', labels: ['model', 'account', 'client'] },
  costUsd: { name: 'tollgate_cost_usd_total', labels: ['model', 'account', 'client'] },
  durationBucket: { name: 'tollgate_request_duration_seconds_bucket', labels: WHO },
  ttftBucket: { name: 'tollgate_time_to_first_token_seconds_bucket', labels: WHO },
  attempts: { name: 'tollgate_upstream_attempts_total', labels: ['account'] },
  active: { name: 'tollgate_requests_active', labels: ['route'] },
  accountAvailable: { name: 'tollgate_account_available', labels: ['account'] },
  ratelimitRemaining: { name: 'tollgate_account_ratelimit_remaining', labels: ['account'] },
  ratelimitLimit: { name: 'tollgate_account_ratelimit_limit', labels: ['account'] },
  ratelimitReset: { name: 'tollgate_account_ratelimit_reset_seconds', labels: ['account'] },
  quotaUsed: { name: 'tollgate_account_quota_used_ratio', labels: ['account'] },
  quotaReset: { name: 'tollgate_account_quota_reset_seconds', labels: ['account'] },
  /** Recorded by prometheus/rules/recording.yml: bucket rates over 5m without outcome labels. */
  durationBucketRate5m: {
    name: 'tollgate:request_duration_seconds_bucket:rate5m',
    labels: WHO,
  },
  ttftBucketRate5m: { name: 'tollgate:time_to_first_token_seconds_bucket:rate5m', labels: WHO },
} as const;

export type SeriesKey = keyof typeof SERIES;

/** The template variables that filter series; each matches its own label. */
export const FILTER_VARIABLES = ['instance', 'route', 'model', 'account', 'client'] as const;

/** Extra matchers: a plain value means `=`, or give the operator: `{ outcome: '!=success' }`. */
export type Match = Record<string, string>;

/** `name{instance=~"$instance", model=~"$model", …, extra}` for the labels the series has. */
export function sel(key: SeriesKey, match: Match = {}): string {
  const series = SERIES[key];
  const filters = ['instance', ...series.labels].map((label) => `${label}=~"$${label}"`);
  const extra = Object.entries(match).map(([label, value]) => {
    const op = /^(=~|!=|!~)/.exec(value)?.[0] ?? '=';
    return `${label}${op}"${value.slice(op === '=' ? 0 : op.length)}"`;
  });
  return `${series.name}{${[...filters, ...extra].join(', ')}}`;
}

/** Per-second rate over Grafana's rate interval. */
export const rate = (key: SeriesKey, match?: Match) => `rate(${sel(key, match)}[$__rate_interval])`;

/** Increase over the dashboard's time range. */
export const increase = (key: SeriesKey, match?: Match) => `increase(${sel(key, match)}[$__range])`;

/** `sum by (labels) (expr)`, or a plain `sum(expr)` without labels. */
export function sum(expr: string, by: string[] = []): string {
  return by.length === 0 ? `sum(${expr})` : `sum by (${by.join(', ')}) (${expr})`;
}

/**
 * numerator / denominator that yields no sample (a gap, never a false 0%) while the denominator
 * is 0, and a true 0 when the numerator's series do not exist yet (no cache read ever seen).
 */
export function ratio(numerator: string, denominator: string): string {
  return `(${numerator} or ${denominator} * 0)\n/\n(${denominator} > 0)`;
}

/** `histogram_quantile` over summed bucket rates, grouped by `by` (plus `le`). */
export function quantile(q: number, bucketRate: string, by: string[] = []): string {
  return `histogram_quantile(${q}, ${sum(bucketRate, ['le', ...by])})`;
}

/** Token kinds a provider bills: host and image tokens (cache and reasoning are subsets). */
export const BILLABLE_KINDS = { token_kind: '=~host_in|host_out|image_in|image_out' };
