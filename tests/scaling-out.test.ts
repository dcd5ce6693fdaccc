import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config/load.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { DASHBOARD_DIR } from '../grafana/generate/index.js';
import { closedPort } from './support/closed-port.js';
import { prometheusQueries, readDashboards, substitute } from './support/dashboard-queries.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { startPrometheus, type RunningPrometheus } from './support/prometheus.js';
import type { Scrape } from './support/scrape.js';

/**
 * Two Tollgate processes behind one Prometheus, as when scaling out: fleet-wide PromQL adds
 * both instances up, and a Tollgate whose summary source is Prometheus answers the admin
 * summary with the fleet's totals, in the same JSON as the store-backed one.
 */

const RULES = fileURLToPath(new URL('../prometheus/rules/recording.yml', import.meta.url));
const ACCOUNTS = [
  { name: 'team-a', api_key: 'sk-scale-team-a-0001' },
  { name: 'team-b', api_key: 'sk-scale-team-b-0001' },
];

let sim: Simulator;
let dir: string;
let east: TestGateway;
let west: TestGateway;
let prom: RunningPrometheus;

function gatewayConfig(extra: Record<string, unknown>) {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    upstreams: [{ name: 'openai', protocol: 'openai', base_url: sim.url, accounts: ACCOUNTS }],
    log: { level: 'warn' },
    ...extra,
  };
}

/** One exchange through `gateway`; resolves once its body has been read to the end. */
async function send(gateway: TestGateway, scenario: string, image = false): Promise<void> {
  const body = {
    model: 'gpt-5',
    input: image ? 'draw a lighthouse' : 'hi',
    stream: true,
    ...(image ? { tools: [{ type: 'image_generation' }] } : {}),
  };
  const res = await fetch(`${gateway.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-sim-scenario': scenario },
    body: JSON.stringify(body),
  });
  await res.text();
  expect(res.status).toBe(200);
}

async function summary(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/admin/usage-stats/summary`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const host = (gateway: TestGateway) => new URL(gateway.url).host;

beforeAll(async () => {
  sim = await startSimulator();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-scaling-'));
  east = await startGateway(gatewayConfig({ storage: { path: join(dir, 'east.json') } }));
  west = await startGateway(gatewayConfig({ storage: { path: join(dir, 'west.json') } }));
  // Round one creates every series before the first scrape; round two, scraped on both sides,
  // is what rates and increases see.
  await traffic();
  prom = await startPrometheus({ target: [host(east), host(west)], ruleFiles: [RULES] });
  const requests = 'sum(tollgate_requests_total)';
  await prom.waitFor(requests, (r) => r[0]?.value?.[1] === '7', 'round one scraped');
  await traffic();
  await prom.waitFor(requests, (r) => r[0]?.value?.[1] === '14', 'round two scraped');
}, 30_000);

/** Different traffic on each instance, image outcomes included, so that a sum cannot pass by
 * coincidence: 7 exchanges, 2 images made and 1 failed. */
async function traffic(): Promise<void> {
  for (const scenario of ['text', 'text', 'reasoning']) await send(east, scenario);
  await send(east, 'image', true);
  await send(west, 'text');
  await send(west, 'image_fallback', true);
  await send(west, 'image', true);
}

afterAll(async () => {
  await prom?.close();
  await Promise.all([east?.close(), west?.close()]);
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('two instances behind one Prometheus', () => {
  it('sum without (instance) adds both instances series by series', async () => {
    const scrapes = await Promise.all([east.scrape(), west.scrape()]);
    for (const name of ['tollgate_requests_total', 'tollgate_tokens_total']) {
      const fleet = await prom.query(`sum without (instance, job) (${name})`);
      const expected = addedUp(scrapes, name);
      const answered = new Map(fleet.map((s) => [labelKey(s.metric), Number(s.value![1])]));
      expect(answered).toEqual(expected);
    }
  });

  it("the dashboards' sums over all instances are the sums of each instance's", async () => {
    const linear = prometheusQueries(readDashboards(DASHBOARD_DIR)).filter(
      (q) => /^\s*(sum|count)\b/.test(q.expr) && !/[/]|histogram_quantile|topk/.test(q.expr),
    );
    const splittable = linear.filter((q) => /\$\{?instance\b/.test(q.expr));
    expect(splittable.length).toBeGreaterThan(10);
    const at = Date.now() / 1000;
    const windows = { range: '1h', rateInterval: '1m' };
    const run = async (expr: string, instance?: string) => {
      const chosen = instance ? expr.replace(/\$\{?instance\}?/g, instance) : expr;
      const answer = await prom.query(substitute(chosen, windows), at);
      return new Map(answer.map((s) => [labelKey(s.metric), Number(s.value![1])]));
    };
    let answered = 0;
    for (const query of splittable) {
      const [all, e, w] = await Promise.all([
        run(query.expr),
        run(query.expr, host(east)),
        run(query.expr, host(west)),
      ]);
      const expected = new Map(e);
      for (const [key, value] of w) expected.set(key, (expected.get(key) ?? 0) + value);
      const what = `${query.dashboard} / ${query.panel}: ${query.expr}`;
      expect([...all.keys()].sort(), what).toEqual([...expected.keys()].sort());
      for (const [key, value] of all) expect(value, what).toBeCloseTo(expected.get(key)!, 6);
      if (e.size > 0 && w.size > 0) answered++;
    }
    // Most panels have data from both instances; the rest (quota gauges, cache writes) none.
    expect(answered).toBeGreaterThan(splittable.length * 0.75);
  });

  it('recording rules keep one series per instance for dashboards to sum', async () => {
    // A rate needs two scrapes of an instance, and the two are scraped at their own moments.
    const perInstance = 'count(count by (instance) (tollgate:requests:rate5m))';
    await prom.waitFor(perInstance, (r) => r[0]?.value?.[1] === '2', 'rules on both');
    const instances = await prom.query('count by (instance) (tollgate:requests:rate5m)');
    expect(instances.map((s) => s.metric.instance).sort()).toEqual([host(east), host(west)].sort());
  });

  it('a summary read from Prometheus is the sum of the store-backed summaries', async () => {
    const fleet = await startGateway(
      gatewayConfig({ summary: { source: 'prometheus', prometheus_url: prom.url } }),
    );
    try {
      const [e, w, f] = await Promise.all([
        summary(east.url),
        summary(west.url),
        summary(fleet.url),
      ]);
      expect(f.status).toBe(200);
      expect(Object.keys(f.body)).toEqual(Object.keys(e.body));
      for (const key of Object.keys(e.body)) {
        const local = key === 'total_accounts' || key === 'active_accounts';
        const expected = local ? e.body[key] : (e.body[key] as number) + (w.body[key] as number);
        expect(f.body[key], key).toBeCloseTo(expected as number, 6);
      }
      expect(f.body.total_request_count).toBe(14);
      expect(f.body.total_image_request_count).toBe(4);
      expect(f.body.total_image_request_failed_count).toBe(2);
    } finally {
      await fleet.close();
    }
  });

  it('answers 502 with a clear error while Prometheus is unreachable', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const fleet = await startGateway(
      gatewayConfig({ summary: { source: 'prometheus', prometheus_url: url } }),
    );
    try {
      const { status, body } = await summary(fleet.url);
      expect(status).toBe(502);
      expect(body.error).toMatch(/^Prometheus did not answer/);
      expect(String(body.error)).not.toContain(url);
    } finally {
      await fleet.close();
    }
  });
});

describe('summary config', () => {
  it('needs prometheus_url when the source is prometheus', () => {
    expect(() => parseConfig({ summary: { source: 'prometheus' } })).toThrow(ConfigError);
    expect(() => parseConfig({ summary: { source: 'prometheus' } })).toThrow(/prometheus_url/);
    expect(parseConfig({}).summary).toEqual({ source: 'store' });
  });
});

/** The series of `name` in every scrape, added up by their labels. */
function addedUp(scrapes: Scrape[], name: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const series of scrapes.flatMap((s) => s.select(name))) {
    const key = labelKey(series.labels);
    sums.set(key, (sums.get(key) ?? 0) + series.value);
  }
  return sums;
}

function labelKey(labels: Record<string, string>): string {
  const { __name__: _name, ...rest } = labels;
  return JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
}
