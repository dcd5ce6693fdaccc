import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  slowStreams,
  soak,
  type MemoryRuns,
  type SlowStreamsResult,
  type SoakResult,
} from './memory.js';
import { checkAnswer, measure, type Run } from './measure.js';
import { renderReport } from './report.js';
import { summarize } from './summary.js';
import { connectionLevels, readSettings, type Settings } from './settings.js';
import {
  startPassthrough,
  startTollgate,
  TOLLGATE_VARIANTS,
  type Target,
  type TargetName,
} from './targets.js';
import { startUpstream, type Upstream } from './upstream.js';
import { slowStreams as slowStreamsWorkload, WORKLOADS, type Workload } from './workloads.js';

/**
 * `npm run bench [-- --quick] [-- --connections N --duration S --rounds N ...]`: Tollgate (with
 * metrics, usage store and traces on, and with each of the latter two off) and a bare
 * pass-through, all in front of the simulated upstream, under the same load; the report goes to
 * stdout and bench/results/latest.md. Exits 1 if any request failed.
 *
 * `--workloads "name,name"` (names as in bench/workloads.ts, e.g. "responses image 4 MB") runs
 * only those workloads, skips the slow streams and the steady load, and prints its report to
 * stdout only: bench/results/latest.md keeps the last full run.
 */

/** CPU per request is compared at the same load, this share of the slowest target's rate at
 * full speed. At full speed each target runs at a rate of its own, and a process answering more
 * requests per second spreads its wake-ups and system calls over more of them. */
const SAME_LOAD_SHARE = 0.75;

/** Requests of each core workload a fresh process answers before it counts as idle. */
const WARM_UP_REQUESTS = 20;

const RESULT_FILE = fileURLToPath(new URL('results/latest.md', import.meta.url));

async function main(): Promise<void> {
  const settings = readSettings();
  const workloads = WORKLOADS.filter((w) => settings.workloads?.includes(w.name) ?? true);
  const upstream = await startUpstream();
  const targets: Target[] = [];
  try {
    targets.push(await startPassthrough(new URL(upstream.url).origin));
    for (const variant of TOLLGATE_VARIANTS) targets.push(await startTollgate(upstream, variant));
    for (const workload of workloads) {
      for (const target of targets) await checkAnswer(target, workload);
    }

    const runs: Run[] = [];
    for (const workload of workloads) {
      runs.push(...(await benchWorkload(workload, targets, settings, upstream)));
    }
    reportChattyTargets(targets);

    // A run of chosen workloads ends here and leaves the last full report where it is.
    const memory = settings.workloads ? null : await benchMemory(targets, upstream, settings);
    const report = renderReport(settings, summarize(runs), memory, await upstream.traceCounts());
    if (memory) publish(report);
    else process.stdout.write(report);
    failOnErrors(runs, memory);
  } finally {
    await Promise.all(targets.map((target) => target.stop()));
    await upstream.stop();
  }
}

/** The core workloads go to every target, the others to the pass-through and Tollgate with
 * everything on; one connection, for latency, only to those two. */
function targetsFor(workload: Workload, targets: readonly Target[], connections: number) {
  if (workload.group === 'core' && connections > 1) return targets;
  return targets.filter((t) => t.name === 'pass-through' || t.name === 'tollgate');
}

/** Warm-up, then the rounds at full concurrency, then at one connection; for the core
 * workloads, then rounds at the same load for every target. Each round runs every target once,
 * in the order of `roundOrder`. */
async function benchWorkload(
  workload: Workload,
  all: readonly Target[],
  settings: Settings,
  upstream: Upstream,
): Promise<Run[]> {
  const run = (target: Target, connections: number, seconds: number, rate?: number) =>
    measure(target, upstream.probe, workload, connections, seconds, rate);
  const rounds = async (targets: readonly Target[], connections: number, rate?: number) => {
    const runs: Run[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      for (const target of roundOrder(targets, round)) {
        runs.push(await run(target, connections, settings.duration, rate));
      }
      const how = rate === undefined ? '' : ` at ${rate} req/s`;
      process.stderr.write(
        `bench: ${workload.name}, ${connections} conn${how}, round ${round + 1}\n`,
      );
    }
    return runs;
  };

  const runs: Run[] = [];
  for (const connections of connectionLevels(settings)) {
    const targets = targetsFor(workload, all, connections);
    if (settings.warmup > 0) {
      for (const target of targets) await run(target, connections, settings.warmup);
    }
    runs.push(...(await rounds(targets, connections)));
  }
  if (workload.group === 'core') {
    const fullSpeed = summarize(runs.filter((r) => r.connections === settings.connections));
    const rate = Math.floor(SAME_LOAD_SHARE * Math.min(...fullSpeed.map((s) => s.rps)));
    runs.push(...(await rounds(all, settings.connections, rate)));
  }
  return runs;
}

/** Tollgate runs between the two variants it is compared with, so that each comparison is of
 * runs seconds apart. Every other round runs backwards, so that a slow drift of the machine
 * (heat, another process) does not favour whoever comes first. */
const ROUND_ORDER: readonly TargetName[] = [
  'pass-through',
  'tollgate, store off',
  'tollgate',
  'tollgate, tracing off',
];

function roundOrder(targets: readonly Target[], round: number): Target[] {
  const place = (target: Target) => ROUND_ORDER.indexOf(target.name);
  const order = [...targets].sort((a, b) => place(a) - place(b));
  return round % 2 === 0 ? order : order.reverse();
}

/** Memory per stream is weighed against a process that has not grown its heap for the
 * workloads: a fresh one per target, started just before its streams and warmed up with a few
 * requests, so that each is measured in the same state (a process left idle while another is
 * measured shrinks its heap, and would have to grow it again under the streams). Steady load
 * then runs on the same Tollgate. The processes replace `targets`' contents, so that the caller
 * stops them with the rest. */
async function benchMemory(
  targets: Target[],
  upstream: Upstream,
  settings: Settings,
): Promise<MemoryRuns> {
  await Promise.all(targets.splice(0).map((target) => target.stop()));
  const streams: SlowStreamsResult[] = [];
  targets.push(await startPassthrough(new URL(upstream.url).origin));
  streams.push(await benchSlowStreams(targets[0], settings));
  targets.push(await startTollgate(upstream, TOLLGATE_VARIANTS[0]));
  streams.push(await benchSlowStreams(targets[1], settings));
  const memory = { streams, soaked: await benchSoak(targets[1], settings) };
  reportChattyTargets(targets);
  return memory;
}

async function benchSlowStreams(target: Target, settings: Settings): Promise<SlowStreamsResult> {
  const workload = slowStreamsWorkload(Math.round(settings.streamSeconds * 5));
  for (const w of WORKLOADS.filter((w) => w.group === 'core')) {
    for (let i = 0; i < WARM_UP_REQUESTS; i++) await checkAnswer(target, w);
  }
  const result = await slowStreams(target, workload, settings.streams);
  process.stderr.write(`bench: ${settings.streams} slow streams, ${target.name}\n`);
  return result;
}

async function benchSoak(target: Target, settings: Settings): Promise<SoakResult> {
  const workload = WORKLOADS.find((w) => w.name === 'chat SSE ×20')!;
  const result = await soak(target, workload, settings.soakConnections, settings.soak);
  process.stderr.write(`bench: ${settings.soak} s of steady load, ${target.name}\n`);
  return result;
}

function publish(report: string): void {
  process.stdout.write(report);
  mkdirSync(new URL('results/', import.meta.url), { recursive: true });
  writeFileSync(RESULT_FILE, report);
  process.stderr.write(`bench: report written to ${RESULT_FILE}\n`);
}

/** At `warn`, a healthy proxy writes nothing while it is measured; anything is worth a look. */
function reportChattyTargets(targets: readonly Target[]): void {
  for (const target of targets) {
    if (target.linesSinceReady() === 0) continue;
    process.stderr.write(
      `bench: ${target.name} wrote ${target.linesSinceReady()} log lines; the last ones:\n` +
        `${target.recentOutput()}\n`,
    );
  }
}

function failOnErrors(runs: readonly Run[], memory: MemoryRuns | null): void {
  const lines = runs
    .filter((run) => run.non2xx > 0 || run.errors > 0)
    .map(
      (run) =>
        `  ${run.target}, ${run.workload}, ${run.connections} conn: ` +
        `${run.non2xx} non-2xx, ${run.errors} errors`,
    );
  for (const s of memory?.streams.filter((s) => s.failed > 0) ?? []) {
    lines.push(`  ${s.target}, slow streams: ${s.failed} of ${s.streams} failed`);
  }
  const soaked = memory?.soaked;
  if (soaked && soaked.failed > 0) {
    lines.push(`  ${soaked.target}, steady load: ${soaked.failed} failed`);
  }
  if (lines.length > 0) throw new Error(`some requests failed:\n${lines.join('\n')}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: FAILED: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
