import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { checkAnswer, measure, type Run } from './measure.js';
import { renderReport } from './report.js';
import { summarize } from './summary.js';
import { connectionLevels, readSettings, type Settings } from './settings.js';
import { startPassthrough, startTollgate, type Target } from './targets.js';
import { WORKLOADS, type Workload } from './workloads.js';

/**
 * `npm run bench [-- --connections N --duration S --rounds N --warmup S]`: Tollgate and a bare
 * pass-through, both in front of the simulated upstream, under the same load; the report goes
 * to stdout and bench/results/latest.md. Exits 1 if any request failed.
 */

const RESULT_FILE = fileURLToPath(new URL('results/latest.md', import.meta.url));

async function main(): Promise<void> {
  const settings = readSettings();
  // Compression off: the benchmark measures proxying, not gzip on either side.
  const simulator = await startSimulator({ compress: false });
  const targets: Target[] = [];
  try {
    const origin = new URL(simulator.url).origin;
    targets.push(await startPassthrough(origin), await startTollgate(simulator.url));
    for (const workload of WORKLOADS) {
      for (const target of targets) await checkAnswer(target, workload);
    }

    const runs: Run[] = [];
    for (const workload of WORKLOADS) {
      runs.push(...(await benchWorkload(workload, targets, settings, simulator)));
    }
    publish(renderReport(settings, summarize(runs)));
    reportChattyTargets(targets);
    failOnErrors(runs);
  } finally {
    await Promise.all(targets.map((target) => target.stop()));
    await simulator.close();
  }
}

/** Warm-up, then the rounds at full concurrency, then at one connection. Targets alternate
 * within each round and swap order from one round to the next, so a slow drift of the machine
 * (heat, another process) does not favour one of them. */
async function benchWorkload(
  workload: Workload,
  targets: readonly Target[],
  settings: Settings,
  simulator: Simulator,
): Promise<Run[]> {
  const run = async (target: Target, connections: number, seconds: number) => {
    const result = await measure(target, workload, connections, seconds);
    // The simulator records every request; dropping them keeps its memory flat.
    simulator.reset();
    return result;
  };

  if (settings.warmup > 0) {
    for (const target of targets) await run(target, settings.connections, settings.warmup);
  }
  const runs: Run[] = [];
  for (const connections of connectionLevels(settings)) {
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) runs.push(await run(target, connections, settings.duration));
      process.stderr.write(`bench: ${workload.name}, ${connections} conn, round ${round + 1}\n`);
    }
  }
  return runs;
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

function failOnErrors(runs: readonly Run[]): void {
  const failed = runs.filter((run) => run.non2xx > 0 || run.errors > 0);
  if (failed.length === 0) return;
  const lines = failed.map(
    (run) =>
      `  ${run.target}, ${run.workload}, ${run.connections} conn: ` +
      `${run.non2xx} non-2xx, ${run.errors} errors`,
  );
  throw new Error(`some requests failed:\n${lines.join('\n')}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: FAILED: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
