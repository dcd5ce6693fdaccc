import os from 'node:os';
import { connectionLevels, type Settings } from './settings.js';
import type { Summary } from './summary.js';
import type { TargetName } from './targets.js';

/** The goals the numbers are held to, printed next to them. */
export const GOALS = {
  /** Tollgate's requests per second over the pass-through's, at the throughput concurrency. */
  minThroughputRatio: 0.8,
  /** Tollgate's p50 minus the pass-through's, at one connection. */
  maxAddedP50Ms: 1,
} as const;

/** The whole report in markdown: machine, settings, one table per concurrency, the goals. */
export function renderReport(settings: Settings, summaries: readonly Summary[]): string {
  return [
    '# Tollgate against a bare pass-through',
    '',
    ...describeRun(settings),
    ...connectionLevels(settings).flatMap((connections) => [
      '',
      `## ${connections} connection${connections === 1 ? '' : 's'}`,
      '',
      measurements(summaries.filter((s) => s.connections === connections)),
    ]),
    '',
    '## Goals',
    '',
    goals(summaries, settings.connections),
    ...sharedMachineWarning(summaries),
    '',
    ...NOTES,
    '',
  ].join('\n');
}

function describeRun(settings: Settings): string[] {
  const cpus = os.cpus();
  const memory = `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`;
  const { connections, duration, rounds, warmup } = settings;
  return [
    `- Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${memory} RAM, ` +
      `${os.type()} ${os.release()}`,
    `- Node ${process.version}, ${new Date().toISOString()}`,
    `- Settings: ${connections} connections and 1 connection, ${duration} s per run, ` +
      `${rounds} rounds per target alternating pass-through and Tollgate, ` +
      `after ${warmup} s of warm-up per workload and target`,
  ];
}

const NOTES = [
  '- req/s, p50 and p99 are medians of the rounds; the range shows the slowest and fastest ' +
    'round. Latencies are of 2xx responses, first byte sent to last byte received.',
  '- CPU is the proxy process’s user + system time, from /proc/PID/stat; peak RSS is its ' +
    'kernel high-water mark (VmHWM) during the runs.',
  '- “harness CPU” is the benchmark process (autocannon and the simulator) and “other CPU” ' +
    'everything else on the machine, in % of one core. Harness near 100 % means it, not the ' +
    'proxy, capped the rate; other CPU above a few % means the run shared the machine.',
  '- “req/s per proxy CPU second” is the inverse ratio of CPU per request: the rate each proxy ' +
    'would reach with a core to itself, whatever limited the measured rate.',
];

function measurements(rows: readonly Summary[]): string {
  const header = [
    'workload',
    'target',
    'req/s (range)',
    'vs pt',
    'p50 ms',
    'p99 ms',
    'CPU s / 1k req',
    'vs pt',
    'peak RSS MiB',
    'vs pt',
    'non-2xx',
    'errors',
    'harness CPU',
    'other CPU',
  ];
  return table(
    header,
    rows.map((row) => measurementCells(row, baseline(rows, row))),
  );
}

function measurementCells(row: Summary, pt: Summary | undefined): string[] {
  return [
    row.workload,
    row.target,
    `${row.rps.toFixed(0)} (${row.rpsRange[0].toFixed(0)}–${row.rpsRange[1].toFixed(0)})`,
    ratio(row.rps, pt?.rps),
    row.p50Ms.toFixed(2),
    row.p99Ms.toFixed(2),
    row.cpuSecondsPer1k.toFixed(3),
    ratio(row.cpuSecondsPer1k, pt?.cpuSecondsPer1k),
    (row.peakRssBytes / 2 ** 20).toFixed(1),
    ratio(row.peakRssBytes, pt?.peakRssBytes),
    String(row.non2xx),
    String(row.errors),
    `${row.harnessCpuPercent.toFixed(0)} %`,
    `${row.otherCpuPercent.toFixed(0)} %`,
  ];
}

/**
 * The measured throughput ratio means something only while the proxy, not the benchmark
 * process, is the bottleneck; the ratio of CPU per request holds either way, as the rate each
 * proxy would reach with one core to itself.
 */
function goals(summaries: readonly Summary[], connections: number): string {
  const header = ['workload', 'measure', 'value', 'goal', 'met'];
  const min = GOALS.minThroughputRatio;
  const rows = workloadsOf(summaries).flatMap((workload) => {
    const busy = pair(summaries, workload, connections);
    const single = pair(summaries, workload, 1);
    const measured = busy.tollgate.rps / busy.pt.rps;
    const perCore = busy.pt.cpuSecondsPer1k / busy.tollgate.cpuSecondsPer1k;
    const harness = Math.max(busy.pt.harnessCpuPercent, busy.tollgate.harnessCpuPercent);
    const added = single.tollgate.p50Ms - single.pt.p50Ms;
    const measuredMet =
      harness >= HARNESS_BOUND_PERCENT
        ? `not conclusive: harness at ${harness.toFixed(0)} %`
        : yesNo(measured >= min);
    return [
      [workload, `req/s at ${connections} connections`, times(measured), `≥ ${min}×`, measuredMet],
      [workload, 'req/s per proxy CPU second', times(perCore), `≥ ${min}×`, yesNo(perCore >= min)],
      [
        workload,
        'added p50 at 1 connection',
        `${added.toFixed(2)} ms`,
        `≤ ${GOALS.maxAddedP50Ms} ms`,
        yesNo(added <= GOALS.maxAddedP50Ms),
      ],
    ];
  });
  return table(header, rows, header.length);
}

/** Above this the benchmark process, one event loop on one core, is what limits the rate. */
const HARNESS_BOUND_PERCENT = 90;

/** Above this, other work on the machine took a noticeable share of the cores. */
const SHARED_MACHINE_PERCENT = 20;

function sharedMachineWarning(summaries: readonly Summary[]): string[] {
  const worst = Math.max(...summaries.map((s) => s.otherCpuPercent));
  if (worst < SHARED_MACHINE_PERCENT) return [];
  return [
    '',
    `**Warning:** other processes used up to ${worst.toFixed(0)} % of a core during these ` +
      'runs; the numbers are noisy. Run again on a quiet machine.',
  ];
}

function pair(summaries: readonly Summary[], workload: string, connections: number) {
  const find = (target: TargetName) => {
    const found = summaries.find(
      (s) => s.workload === workload && s.connections === connections && s.target === target,
    );
    if (!found) throw new Error(`bench: no ${target} runs for "${workload}" at ${connections}`);
    return found;
  };
  return { pt: find('pass-through'), tollgate: find('tollgate') };
}

function workloadsOf(summaries: readonly Summary[]): string[] {
  return [...new Set(summaries.map((s) => s.workload))];
}

function baseline(rows: readonly Summary[], row: Summary): Summary | undefined {
  return rows.find((r) => r.workload === row.workload && r.target === 'pass-through');
}

function ratio(value: number, reference: number | undefined): string {
  return reference ? times(value / reference) : '–';
}

function times(value: number): string {
  return `${value.toFixed(2)}×`;
}

function yesNo(met: boolean): string {
  return met ? 'yes' : '**NO**';
}

/** Markdown; the first `textColumns` columns are text, the others numbers aligned right. */
function table(header: string[], rows: string[][], textColumns = 2): string {
  const align = header.map((_, i) => (i < textColumns ? '---' : '---:'));
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
