import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type TokenKind } from '../simulator/index.js';
import { startChild, writeConfig, type ChildGateway } from './support/child-gateway.js';
import { seeded, sendMixedTraffic, type TrafficReport } from './support/mixed-traffic.js';
import { isPartialAccount, isPartialModel, mixedUpstreams } from './support/mixed-upstreams.js';
import { scrape as scrapeUrl, type Scrape } from './support/scrape.js';
import { getJson, readJsonFile, scratchDir } from './support/usage-store.js';

/**
 * No lost accounting under load: a few hundred concurrent exchanges over every protocol,
 * streaming and not, with upstream faults, scenarios that end badly and clients that abort. The
 * tokens the simulated upstream reported must then equal, kind by kind, those in `/metrics`, in
 * the admin summary and in the usage file. Exchanges the simulator's tally cannot be the
 * reference for (aborted clients, Anthropic and Gemini streams cut short: see mixed-traffic.ts)
 * go to upstreams and accounts of their own, and there the gateway's views must agree.
 *
 * Longer by hand: TOLLGATE_SOAK_EXCHANGES=20000 TOLLGATE_SOAK_CONCURRENCY=200 npx vitest run
 * tests/soak.test.ts (TOLLGATE_SOAK_SEED picks another mix).
 */

const EXCHANGES = Number(process.env.TOLLGATE_SOAK_EXCHANGES ?? 400);
const CONCURRENCY = Number(process.env.TOLLGATE_SOAK_CONCURRENCY ?? 100);
const SEED = Number(process.env.TOLLGATE_SOAK_SEED ?? 20260101);
/** The simulator's token kinds; cache_write has no counterpart there and is left out. */
const KINDS: TokenKind[] = ['host_in', 'host_out', 'cache', 'reasoning', 'image_in', 'image_out'];
/** Growth allowed over the soak. The heap (V8's and the buffers outside it) is the leak signal;
 * RSS also holds what the allocator keeps for reuse, so its bound is generous. */
const HEAP_SLACK_MB = 16;
const RSS_SLACK_MB = 64;

let sim: Simulator;
let partialSim: Simulator;
let tg: ChildGateway;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
let storePath: string;

beforeAll(async () => {
  [sim, partialSim, scratch] = await Promise.all([
    startSimulator(),
    startSimulator(),
    scratchDir(),
  ]);
  storePath = join(scratch.dir, 'usage.json');
  const configPath = join(scratch.dir, 'soak.yaml');
  await writeConfig(configPath, {
    listen: { host: '127.0.0.1', port: 0 },
    upstreams: mixedUpstreams(sim, partialSim),
    accounts: { cooldown_seconds: 0.05 },
    storage: { path: storePath, snapshot_interval_minutes: 0 },
  });
  // The gateway runs in a process of its own, so that its memory is measured alone.
  const preload = fileURLToPath(new URL('./support/gc-on-signal.mjs', import.meta.url));
  tg = await startChild(configPath, { NODE_OPTIONS: `--expose-gc --import ${preload}` });
});
afterAll(async () => {
  if (tg?.child.exitCode === null) tg.child.kill('SIGKILL');
  await Promise.all([sim?.close(), partialSim?.close()]);
  await scratch?.remove();
});

describe('soak', () => {
  it(
    'loses no token under concurrent mixed traffic with faults and aborts',
    { timeout: Math.max(120_000, EXCHANGES * 25) },
    async () => {
      // Step 1: warm up at full concurrency (JIT, connection pools, allocator arenas sized for
      // the peak), then take the baseline memory reading.
      const rand = seeded(SEED);
      const warm = await sendMixedTraffic({
        url: tg.url,
        sim,
        count: CONCURRENCY * 2,
        concurrency: CONCURRENCY,
        rand,
      });
      await settled(tg, warm.exchanges - warm.partial);
      const before = await memory();

      // Step 2: the soak.
      const started = performance.now();
      const report = await sendMixedTraffic({
        url: tg.url,
        sim,
        count: EXCHANGES,
        concurrency: CONCURRENCY,
        rand,
      });
      const exact = warm.exchanges + report.exchanges - warm.partial - report.partial;
      const scrape = await settled(tg, exact);
      const seconds = (performance.now() - started) / 1000;
      const after = await memory();

      // Step 3: every exchange with an exact reference counted exactly once, and every armed
      // fault met by an upstream attempt.
      expect(countedExact(scrape)).toBe(exact);
      const faultsMet = scrape
        .select('tollgate_upstream_attempts_total')
        .filter((s) => !isPartialAccount(s.labels.account) && s.labels.status_code !== '200')
        .reduce((sum, s) => sum + s.value, 0);
      expect(faultsMet).toBe(warm.faultsArmed + report.faultsArmed);

      // Step 4: the simulator, /metrics, the admin summary and the usage file agree.
      const metrics = tokensByKind(scrape, (account) => !isPartialAccount(account));
      const partialMetrics = tokensByKind(scrape, isPartialAccount);
      for (const kind of KINDS) expect(metrics[kind], `metrics ${kind}`).toBe(sim.reported[kind]);
      const summary = (await getJson(`${tg.url}/admin/usage-stats/summary`)).body as Summary;
      const all = tokensByKind(scrape, () => true);
      expect(summary.total_input_tokens).toBe(all.host_in);
      expect(summary.total_output_tokens).toBe(all.host_out);
      expect(summary.total_cached_tokens).toBe(all.cache);
      expect(summary.total_image_input_tokens).toBe(all.image_in);
      expect(summary.total_image_output_tokens).toBe(all.image_out);

      // The last write happens on SIGTERM, as an operator stops the gateway.
      tg.child.kill('SIGTERM');
      expect((await tg.exited)[0]).toBe(0);
      const file = await readJsonFile(storePath);
      const fileExact = storeTotals(file, (account) => !isPartialAccount(account));
      const filePartial = storeTotals(file, isPartialAccount);
      for (const kind of KINDS) {
        expect(fileExact[kind], `file ${kind}`).toBe(sim.reported[kind]);
        expect(filePartial[kind], `file partial ${kind}`).toBe(partialMetrics[kind]);
      }

      // Step 5: the figures, and memory back near where it was.
      printFigures(report, warm, seconds, metrics, partialMetrics, before, after);
      expect(report.faultsArmed).toBeGreaterThan(0);
      expect(report.aborted).toBeGreaterThan(0);
      expect(sim.reported.host_in).toBeGreaterThan(0);
      expect(after.heap - before.heap).toBeLessThan(HEAP_SLACK_MB * 2 ** 20);
      expect(after.rss - before.rss).toBeLessThan(RSS_SLACK_MB * 2 ** 20);
    },
  );
});

interface Summary {
  total_input_tokens: number;
  total_output_tokens: number;
  total_cached_tokens: number;
  total_image_input_tokens: number;
  total_image_output_tokens: number;
}

/** How long metering may trail the clients before the test says what it is still waiting for. */
const SETTLE_MS = 30_000;

/** Waits until no exchange is in progress and the `finished` exchanges with an exact reference
 * have been counted: metering happens as each answer ends on the gateway's side, a moment after
 * the client read its last byte. (An aborted client may hang up before its request reached the
 * gateway, so partial ones are not counted on.) */
async function settled(gateway: ChildGateway, finished: number): Promise<Scrape> {
  const deadline = performance.now() + SETTLE_MS;
  for (;;) {
    const scrape = await scrapeUrl(gateway.url);
    const active = scrape.sum('tollgate_requests_active');
    const counted = countedExact(scrape);
    if (active === 0 && counted >= finished) return scrape;
    if (performance.now() > deadline) {
      throw new Error(
        `metering did not settle in ${SETTLE_MS / 1000} s: ${active} exchanges still in ` +
          `progress, ${counted} of ${finished} exact ones counted`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Exchanges counted in `/metrics` whose model is not a `*partial*` one. */
function countedExact(scrape: Scrape): number {
  return scrape
    .select('tollgate_requests_total')
    .filter((s) => !isPartialModel(s.labels.model))
    .reduce((sum, s) => sum + s.value, 0);
}

function tokensByKind(scrape: Scrape, keep: (account: string) => boolean) {
  const totals = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<TokenKind, number>;
  for (const s of scrape.select('tollgate_tokens_total')) {
    if (keep(s.labels.account) && s.labels.token_kind in totals)
      totals[s.labels.token_kind as TokenKind] += s.value;
  }
  return totals;
}

function storeTotals(file: Record<string, unknown>, keep: (account: string) => boolean) {
  const totals = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<TokenKind, number>;
  const accounts = file.accounts as Record<string, Record<TokenKind, number>>;
  const rows = Object.entries(accounts).filter(([name]) => keep(name));
  // The baseline takes exchanges no account answered: they carry no tokens, but count it.
  rows.push(['baseline', file.baseline as Record<TokenKind, number>]);
  for (const [, counters] of rows) for (const kind of KINDS) totals[kind] += counters[kind];
  return totals;
}

/** The gateway's RSS and heap (V8's plus buffers outside it) after full collections, in
 * bytes, as its test preload reports them on SIGUSR2. The simulators' record of every request
 * (the harness's memory, not the gateway's) is dropped at the same time. */
async function memory(): Promise<{ rss: number; heap: number }> {
  sim.requests.length = 0;
  partialSim.requests.length = 0;
  const isReading = (line: { msg: string }) => line.msg === 'memory after gc';
  const seen = tg.logs.filter(isReading).length;
  tg.child.kill('SIGUSR2');
  const line = await tg.logLine((l) => isReading(l) && tg.logs.filter(isReading).length > seen);
  return { rss: line.rss as number, heap: line.heap as number };
}

function printFigures(
  report: TrafficReport,
  warm: TrafficReport,
  seconds: number,
  tokens: Record<TokenKind, number>,
  partialTokens: Record<TokenKind, number>,
  before: { rss: number; heap: number },
  after: { rss: number; heap: number },
): void {
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const figures = {
    exchanges: report.exchanges,
    warm_up_exchanges: warm.exchanges,
    concurrency: CONCURRENCY,
    seconds: Number(seconds.toFixed(2)),
    faults_armed: report.faultsArmed + warm.faultsArmed,
    client_aborts: report.aborted,
    partial_exchanges: report.partial,
    statuses: report.byStatus,
    kinds: report.byKind,
    tokens_compared: tokens,
    partial_tokens_agreeing: partialTokens,
    rss_mb: { before: mb(before.rss), after: mb(after.rss) },
    heap_mb: { before: mb(before.heap), after: mb(after.heap) },
  };
  process.stdout.write(`soak figures: ${JSON.stringify(figures)}\n`);
}
