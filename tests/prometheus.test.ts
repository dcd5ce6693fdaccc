import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fire, type Shot } from '../demo/shots.js';
import { DASHBOARD_DIR } from '../grafana/generate/index.js';
import { CostEstimator } from '../src/pricing/cost.js';
import { loadPricingTable } from '../src/pricing/table.js';
import type { Usage } from '../src/usage.js';
import { startSimulator, type Scenario, type Simulator } from '../simulator/index.js';
import {
  prometheusQueries,
  readDashboards,
  substitute,
  type PanelQuery,
} from './support/dashboard-queries.js';
import { startGateway, type LogLine, type TestGateway } from './support/gateway.js';
import { startPrometheus, type PromSeries, type RunningPrometheus } from './support/prometheus.js';

/**
 * The proof that the dashboards and rules work: Tollgate serves a known traffic mix from the
 * simulated upstream, a real Prometheus scrapes it every second with the shipped rules, and
 * every query of every panel and every recording rule is evaluated through Prometheus' API.
 */

const RULES = ['prometheus/rules/recording.yml', 'prometheus/rules/alerts.yml'];
const CLIENTS = [
  { name: 'alice', key: 'proof-client-alice-0001' },
  { name: 'build-bot', key: 'proof-client-build-bot-0001' },
];

/** Each scenario twice per client, back to back, so both accounts see every kind of exchange
 * whichever account's turn it is; failures and refusals last. Every retry takes two attempts,
 * keeping the account turn even, so the second round lands on the same series as the first. */
function knownMix(): Shot[] {
  const base: [Scenario, Partial<Shot>][] = [
    ['text', { stream: true }],
    ['text', { stream: false, model: 'gpt-5-mini' }],
    ['text', { api: 'chat', model: 'gpt-4.1' }],
    ['reasoning', { model: 'o4-mini' }],
    ['tool_call', { stream: false }],
    ['image', { image: true }],
    ['image_fallback', { image: true }],
    ['incomplete', {}],
    ['failed', {}],
    // Anthropic reports cache writes; the OpenAI answers carry the Codex quota windows.
    ['text', { api: 'messages', model: 'claude-sonnet-4-5' }],
  ];
  const shot = (scenario: Scenario, extra: Partial<Shot>, clientKey: string): Shot => ({
    clientKey,
    api: 'responses',
    scenario,
    model: 'gpt-5',
    stream: true,
    ...extra,
  });
  const [alice, bot] = CLIENTS.map((c) => c.key);
  return [
    ...base.flatMap(([s, extra]) => [alice, alice, bot, bot].map((key) => shot(s, extra, key))),
    shot('text', { fault: { status: 500 } }, alice),
    shot('text', { fault: { status: 429, headers: { 'retry-after': '1' } } }, bot),
    shot('text', {}, 'proof-client-wrong-key'),
  ];
}

let sim: Simulator;
let tg: TestGateway;
let prom: RunningPrometheus;
let evaluatedAt: number;
const windows = { range: '', rateInterval: '10s' };

async function drive(shots: Shot[]): Promise<void> {
  for (const shot of shots) await fire(tg.url, shot, sim);
}

beforeAll(async () => {
  sim = await startSimulator({ codexQuota: true });
  tg = await startGateway({
    listen: { host: '127.0.0.1', port: 0 },
    clients: CLIENTS,
    upstreams: [
      {
        name: 'openai',
        protocol: 'openai',
        base_url: sim.url,
        accounts: [
          { name: 'team-a', api_key: 'sk-proof-team-a-0001' },
          { name: 'team-b', api_key: 'sk-proof-team-b-0001' },
        ],
      },
      {
        name: 'anthropic',
        protocol: 'anthropic',
        base_url: sim.url,
        accounts: [{ name: 'claude-team', api_key: 'sk-ant-proof-0001' }],
      },
    ],
    log: { level: 'info' },
  });
  const mix = knownMix();

  // Round one creates every series before Prometheus first scrapes; round two, scraped on both
  // sides, is what rates and increases over the range see.
  await drive(mix);
  prom = await startPrometheus({ target: new URL(tg.url).host, ruleFiles: RULES.map(abs) });
  const requests = 'sum(tollgate_requests_total)';
  await prom.waitFor(requests, (r) => value(r) === mix.length, 'round one');
  await prom.waitFor('sum(tollgate_account_available)', (r) => value(r) === 3, 'accounts back');
  await drive(mix);
  await prom.waitFor(requests, (r) => value(r) === 2 * mix.length, 'round two');
  await prom.waitFor('sum(tollgate_account_available)', (r) => value(r) === 3, 'accounts back');
  // The rules' group evaluates every second; its first pass after round two sees it in full.
  await prom.waitFor('sum(tollgate:requests:rate5m)', (r) => value(r) > 0, 'recorded rates');

  evaluatedAt = Date.now() / 1000;
  windows.range = `${Math.ceil(evaluatedAt - prom.startedAt) + 5}s`;
}, 40_000);

afterAll(async () => {
  await prom?.close();
  await tg?.close();
  await sim?.close();
});

const abs = (path: string) => new URL(`../${path}`, import.meta.url).pathname;
const value = (r: PromSeries[]) => (r.length === 1 ? Number(r[0].value![1]) : NaN);
const dashboards = readDashboards(DASHBOARD_DIR);
const queries = prometheusQueries(dashboards);

/** Whether a panel query shows anything: an instant value, or a finite point in its range. */
async function hasData(query: PanelQuery): Promise<boolean> {
  const expr = substitute(query.expr, windows);
  if (query.instant) {
    return (await prom.query(expr, evaluatedAt)).some((s) => s.value && s.value[1] !== 'NaN');
  }
  // Steps counted back from the evaluation time, so the last one sees the newest samples.
  const start = evaluatedAt - Math.ceil(evaluatedAt - prom.startedAt);
  const series = await prom.queryRange(expr, start, evaluatedAt, 1);
  return series.some((s) => s.values!.some(([, v]) => Number.isFinite(Number(v))));
}

describe('every dashboard query, evaluated by a real Prometheus', () => {
  it('parses and returns data for every panel', async () => {
    expect(queries.length).toBeGreaterThan(40);
    const empty: string[] = [];
    for (const query of queries) {
      if (!(await hasData(query))) empty.push(`${query.dashboard} "${query.panel}" ${query.refId}`);
    }
    expect(empty, `panels without data: ${empty.join('; ')}`).toEqual([]);
  });
});

describe('recording and alerting rules', () => {
  const groups = (file: string) =>
    (
      parse(readFileSync(abs(file), 'utf8')) as { groups: { rules: Record<string, string>[] }[] }
    ).groups.flatMap((g) => g.rules);

  it('evaluates every recording rule and records its series', async () => {
    for (const rule of groups(RULES[0])) {
      expect((await prom.query(rule.expr, evaluatedAt)).length, rule.record).toBeGreaterThan(0);
      expect((await prom.query(rule.record, evaluatedAt)).length, rule.record).toBeGreaterThan(0);
    }
  });

  it('parses every alert expression, and none fires on healthy traffic', async () => {
    const rules = groups(RULES[1]);
    expect(rules.length).toBeGreaterThanOrEqual(6);
    for (const rule of rules) await prom.query(rule.expr, evaluatedAt);
    const res = await fetch(`${prom.url}/api/v1/rules?type=alert`);
    const body = (await res.json()) as { data: { groups: { rules: { health: string }[] }[] } };
    const health = body.data.groups.flatMap((g) => g.rules.map((r) => r.health));
    expect(health.length).toBe(rules.length);
    expect(health.every((h) => h === 'ok')).toBe(true);
  });
});

describe('key panels show the numbers of the known mix', () => {
  const exchanges = () => tg.exchanges() as (LogLine & { tokens?: Record<string, number> })[];

  /** The answer of a panel's first query, found by its title. */
  async function panel(file: string, title: string): Promise<PromSeries[]> {
    const query = queries.find((q) => q.dashboard === file && q.panel === title);
    if (!query) throw new Error(`no panel "${title}" in ${file}`);
    expect(query.instant, title).toBe(true);
    return prom.query(substitute(query.expr, windows), evaluatedAt);
  }
  const by = (series: PromSeries[], label: string) =>
    Object.fromEntries(series.map((s) => [s.metric[label], Number(s.value![1])]));

  it('cache hit rate, since start and over the range, is cached over all prompt tokens', async () => {
    const expected = sim.reported.cache / sim.reported.host_in;
    expect(expected).toBeGreaterThan(0);
    expect(value(await panel('overview.json', 'Cache hit rate since start'))).toBeCloseTo(
      expected,
      12,
    );
    expect(value(await panel('overview.json', 'Cache hit rate over the range'))).toBeCloseTo(
      expected,
      9,
    );
    expect(value(await panel('tokens.json', 'Cache hit rate over the range'))).toBeCloseTo(
      expected,
      9,
    );
  });

  it('tokens by kind over the range keep the proportions the upstream reported', async () => {
    const series = await panel('tokens.json', 'Tokens over the range by model and kind');
    const perKind: Record<string, number> = {};
    for (const s of series) {
      perKind[s.metric.token_kind] = (perKind[s.metric.token_kind] ?? 0) + Number(s.value![1]);
    }
    const reported = sim.reported as unknown as Record<string, number>;
    const kinds = Object.keys(reported).filter((k) => reported[k] > 0);
    // The simulator counts cache writes inside host_in only; the Anthropic answers wrote some.
    expect(perKind.cache_write).toBeGreaterThan(0);
    expect(
      Object.keys(perKind)
        .filter((k) => k !== 'cache_write')
        .sort(),
    ).toEqual(kinds.sort());
    for (const kind of kinds) {
      expect(perKind[kind] / perKind.host_in, kind).toBeCloseTo(
        reported[kind] / reported.host_in,
        9,
      );
    }
  });

  it('image success ratio is the share of image requests that produced an image', async () => {
    const images = exchanges().filter((e) => e.image_outcome !== undefined);
    const expected = images.filter((e) => e.image_outcome === 'success').length / images.length;
    expect(images.length).toBeGreaterThan(0);
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(1);
    expect(value(await panel('overview.json', 'Image success ratio over the range'))).toBeCloseTo(
      expected,
      9,
    );
    expect(value(await panel('images.json', 'Image success ratio over the range'))).toBeCloseTo(
      expected,
      9,
    );
  });

  it('splits tokens per account as the exchanges were served', async () => {
    const logged: Record<string, number> = {};
    for (const e of exchanges()) {
      if (e.tokens) logged[String(e.account)] = (logged[String(e.account)] ?? 0) + e.tokens.host_in;
    }
    const series = await panel('accounts.json', 'Tokens over the range by account and kind');
    const hostIn = by(
      series.filter((s) => s.metric.token_kind === 'host_in'),
      'account',
    );
    expect(Object.keys(hostIn).sort()).toEqual(['claude-team', 'team-a', 'team-b']);
    const total = (t: Record<string, number>) => t['team-a'] + t['team-b'] + t['claude-team'];
    for (const account of Object.keys(hostIn)) {
      expect(hostIn[account] / total(hostIn), account).toBeCloseTo(
        logged[account] / total(logged),
        9,
      );
    }
  });

  it('estimates cost per account and per model as Tollgate priced each exchange', async () => {
    const costs = new CostEstimator(
      loadPricingTable(tg.gateway.config.pricing.path),
      tg.gateway.log,
    );
    const expected = { account: {} as Record<string, number>, model: {} as Record<string, number> };
    for (const e of exchanges()) {
      if (!e.tokens) continue;
      const cost = costs.cost(String(e.model), e.tokens as unknown as Usage);
      for (const label of ['account', 'model'] as const) {
        const key = String(e[label]);
        if (cost > 0) expected[label][key] = (expected[label][key] ?? 0) + cost;
      }
    }
    expect(Object.keys(expected.model).length).toBeGreaterThan(1);
    const total = (t: Record<string, number>) => Object.values(t).reduce((a, b) => a + b, 0);
    const overall = value(await panel('overview.json', 'Estimated cost over the range'));
    for (const [label, file, title] of [
      ['account', 'accounts.json', 'Estimated cost over the range by account'],
      ['model', 'tokens.json', 'Estimated cost over the range by model'],
    ] as const) {
      const shown = by(await panel(file, title), label);
      expect(Object.keys(shown).sort(), title).toEqual(Object.keys(expected[label]).sort());
      expect(total(shown), title).toBeCloseTo(overall, 9);
      for (const key of Object.keys(shown)) {
        const share = shown[key] / overall;
        expect(share, `${title}: ${key}`).toBeCloseTo(
          expected[label][key] / total(expected[label]),
          9,
        );
      }
    }
  });

  it('counts accounts available and configured', async () => {
    const [available, configured] = ['A', 'B'].map((refId) =>
      queries.find((q) => q.panel === 'Accounts available / configured' && q.refId === refId)!,
    );
    for (const [query, expected] of [
      [available, 3],
      [configured, 3],
    ] as const) {
      expect(value(await prom.query(substitute(query.expr, windows), evaluatedAt))).toBe(expected);
    }
  });
});
