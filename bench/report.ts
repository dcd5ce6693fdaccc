import os from 'node:os';
import {
  find,
  furtherStreamBytes,
  goalRows,
  pct,
  soakGrowth,
  streamBytes,
  times,
} from './goals.js';
import type { MemoryRuns, SlowStreamsResult, SoakResult } from './memory.js';
import { connectionLevels, type Settings } from './settings.js';
import type { Summary } from './summary.js';
import type { TraceSinkCounts } from './upstream-process.js';

const MiB = 2 ** 20;

/** The whole report in markdown: machine, settings, the tables, the goals. A `--workloads` run
 * has no memory runs, and the report leaves their sections out. */
export function renderReport(
  settings: Settings,
  summaries: readonly Summary[],
  memory: MemoryRuns | null,
  traces: TraceSinkCounts,
): string {
  return [
    '# Tollgate against a bare pass-through',
    '',
    ...describeRun(settings, traces),
    ...connectionLevels(settings).flatMap((connections) => [
      '',
      `## ${connections} connection${connections === 1 ? '' : 's'}`,
      '',
      measurements(
        summaries.filter((s) => s.connections === connections && s.rate === undefined),
        connections === 1,
      ),
    ]),
    ...sameLoadSection(summaries),
    ...(memory ? memorySections(settings, memory) : []),
    '',
    '## Goals',
    '',
    table(
      ['workload', 'measure', 'value', 'goal', 'met'],
      goalRows(summaries, settings.connections, memory),
      5,
    ),
    ...sharedMachineWarning(summaries),
    '',
    ...NOTES,
    ...(memory ? MEMORY_NOTES : []),
    '',
  ].join('\n');
}

/** The core workloads again, every target held to the same rate: what CPU each spends on the
 * same requests. */
function sameLoadSection(summaries: readonly Summary[]): string[] {
  const held = summaries.filter((s) => s.rate !== undefined);
  if (held.length === 0) return [];
  const rows = held.map((row) => {
    const pt = find(held, row.workload, row.connections, 'pass-through', row.rate);
    return [
      row.workload,
      row.target,
      `${row.rate}`,
      row.rps.toFixed(0),
      row.p50Ms.toFixed(2),
      row.cpuSecondsPer1k.toFixed(3),
      ratio(row.cpuSecondsPer1k, pt?.cpuSecondsPer1k),
      (row.peakRssBytes / MiB).toFixed(1),
    ];
  });
  const header = ['workload', 'target', 'req/s asked', 'req/s', 'p50 ms', 'CPU s / 1k req'];
  return [
    '',
    `## Same load, ${held[0].connections} connections`,
    '',
    table([...header, 'vs pt', 'peak RSS MiB'], rows),
  ];
}

function memorySections(settings: Settings, memory: MemoryRuns): string[] {
  return [
    '',
    `## ${settings.streams} slow streams at once`,
    '',
    slowStreamTable(memory.streams),
    '',
    `## ${settings.soakConnections} connections for ${settings.soak} s`,
    '',
    soakTable(memory.soaked),
  ];
}

function describeRun(settings: Settings, traces: TraceSinkCounts): string[] {
  const cpus = os.cpus();
  const memory = `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`;
  const { connections, duration, rounds, warmup } = settings;
  return [
    `- Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${memory} RAM, ` +
      `${os.type()} ${os.release()}`,
    `- Node ${process.version}, ${new Date().toISOString()}`,
    `- Settings: ${connections} connections and 1 connection, ${duration} s per run, ` +
      `${rounds} rounds per target, the targets' order reversed every other round, ` +
      `after ${warmup} s of warm-up per workload, target and concurrency`,
    '- Targets: the bare pass-through (node:http + undici, no metering); Tollgate with metrics, ' +
      'usage store and traces on; and Tollgate with the store, or the traces, turned off',
    `- Traces: the sink received ${traces.exports} OTLP exports, ` +
      `${(traces.bytes / MiB).toFixed(1)} MiB`,
  ];
}

const NOTES = [
  '- req/s, p50, p99 and first event are medians of the rounds; the range shows the slowest ' +
    'and fastest round. Latencies are of 2xx responses, from the first byte sent to the last ' +
    'body byte received; first event is to the first body bytes, at one connection only.',
  '- CPU is the proxy process’s user + system time, from /proc/PID/stat; peak RSS is its ' +
    'kernel high-water mark (VmHWM) during the runs.',
  '- “load gen”, “upstream” and “other” CPU are the benchmark process (autocannon, or the ' +
    'one-connection client), the simulated upstream’s process and everything else on the ' +
    'machine, in % of one core. Load gen near 100 % means it, not the proxy, capped the rate.',
  '- “Same load” holds every target to one rate, three quarters of the slowest target’s at ' +
    'full speed: CPU per request is compared there, on the same requests, since at full speed ' +
    'a process that answers more requests per second spreads its wake-ups and system calls ' +
    'over more of them.',
  '- Store and tracing costs compare Tollgate with everything on against the variant with that ' +
    'one thing off: throughput lost at full speed, and CPU per request at the same load. Each ' +
    'round runs Tollgate right next to both variants; a cost is the median of the rounds’ own ' +
    'comparisons, with the lowest and highest in brackets.',
];

const MEMORY_NOTES = [
  '- Slow streams run against a fresh process per target, started just before its streams and ' +
    'warmed up with 20 requests of each core workload. Half the streams open at once, and the ' +
    'other half once those are all open; each half’s RSS is read a second after its last ' +
    'stream opened. Per stream is the peak while they were open minus the RSS just before, over ' +
    'all streams; per further stream is what the second half added, over its streams, once the ' +
    'first had paid for what a process grows once for a burst of connections. Steady load then ' +
    'runs on the same Tollgate, sampling VmRSS every second.',
];

function measurements(rows: readonly Summary[], single: boolean): string {
  const header = [
    'workload',
    'target',
    'req/s (range)',
    'vs pt',
    'p50 ms',
    'p99 ms',
    ...(single ? ['first event ms'] : []),
    'CPU s / 1k req',
    'vs pt',
    'peak RSS MiB',
    'vs pt',
    'load gen',
    'upstream',
    'other',
  ];
  return table(
    header,
    rows.map((row) => {
      const pt = find(rows, row.workload, row.connections, 'pass-through');
      return [
        row.workload,
        row.target,
        `${row.rps.toFixed(0)} (${Math.min(...row.roundRps).toFixed(0)}–` +
          `${Math.max(...row.roundRps).toFixed(0)})`,
        ratio(row.rps, pt?.rps),
        row.p50Ms.toFixed(2),
        row.p99Ms.toFixed(2),
        ...(single ? [Number.isNaN(row.ttfeP50Ms) ? '–' : row.ttfeP50Ms.toFixed(2)] : []),
        row.cpuSecondsPer1k.toFixed(3),
        ratio(row.cpuSecondsPer1k, pt?.cpuSecondsPer1k),
        (row.peakRssBytes / MiB).toFixed(1),
        ratio(row.peakRssBytes, pt?.peakRssBytes),
        `${row.harnessCpuPercent.toFixed(0)} %`,
        `${row.upstreamCpuPercent.toFixed(0)} %`,
        `${row.otherCpuPercent.toFixed(0)} %`,
      ];
    }),
  );
}

function slowStreamTable(streams: readonly SlowStreamsResult[]): string {
  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  const kB = (bytes: number) => (bytes / 1000).toFixed(1);
  const header = ['target', 'completed', 'a half open in', 'idle RSS MiB', 'half open MiB'];
  return table(
    [...header, 'all open MiB', 'peak RSS MiB', 'per stream kB', 'per further stream kB', 'took s'],
    streams.map((s) => [
      s.target,
      `${s.completed} / ${s.streams}`,
      `${(s.openMs / 1000).toFixed(2)} s`,
      mib(s.idleRssBytes),
      mib(s.halfOpenRssBytes),
      mib(s.allOpenRssBytes),
      mib(s.peakRssBytes),
      kB(streamBytes(s)),
      kB(furtherStreamBytes(s)),
      (s.durationMs / 1000).toFixed(1),
    ]),
    1,
  );
}

/** RSS at tenths of the run, and the growth from the second quarter to the last. */
function soakTable(soaked: SoakResult): string {
  const picks = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].map((f) => {
    const at = f * soaked.seconds;
    return soaked.samples.reduce((best, s) =>
      Math.abs(s[0] - at) < Math.abs(best[0] - at) ? s : best,
    );
  });
  const rate = soaked.requests / soaked.seconds;
  return [
    `${soaked.target}: ${soaked.requests} requests (${rate.toFixed(0)}/s) of chat SSE ×20, ` +
      `${soaked.failed} failed; RSS growth from the second quarter to the last: ` +
      `${pct(soakGrowth(soaked))}.`,
    '',
    table(
      ['', ...picks.map(([t]) => `${t.toFixed(0)} s`)],
      [['RSS MiB', ...picks.map(([, rss]) => (rss / MiB).toFixed(1))]],
      1,
    ),
  ].join('\n');
}

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

function ratio(value: number, reference: number | undefined): string {
  return reference ? times(value / reference) : '–';
}

/** Markdown; the first `textColumns` columns are text, the others numbers aligned right. */
function table(header: string[], rows: string[][], textColumns = 2): string {
  const align = header.map((_, i) => (i < textColumns ? '---' : '---:'));
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
