import type { CombinationRun } from '../tests/real/image-matrix.js';
import type { MatrixSettings } from '../tests/real/matrix-settings.js';

/**
 * The image benchmark's report in markdown: one table of latencies and one of what came back
 * (image bytes, host and image-tool tokens), a row per model × size × format combination.
 */

export interface ReportContext {
  /** Where the requests went: a URL, or a note that the upstream was simulated. */
  against: string;
  settings: MatrixSettings;
}

export function renderImageReport(context: ReportContext, runs: readonly CombinationRun[]): string {
  const { concurrency, rounds } = context.settings;
  return [
    '# Image generation through Tollgate',
    '',
    `- Against: ${context.against}`,
    `- Node ${process.version}, ${new Date().toISOString()}`,
    `- Each combination: ${concurrency} concurrent request${plural(concurrency)} × ` +
      `${rounds} round${plural(rounds)}, streamed \`/v1/responses\` with the image_generation tool`,
    '',
    '## Latency (seconds)',
    '',
    table(
      ['model', 'size', 'format', 'ok', 'min', 'p50', 'p95', 'max', 'first event p50'],
      runs.map(latencyRow),
    ),
    '',
    '## Images and tokens (averages of successful requests)',
    '',
    table(
      ['model', 'size', 'format', 'image bytes', 'host in', 'host out', 'image in', 'image out'],
      runs.map(usageRow),
    ),
    '',
    '- Latency is from sending the request to the last event; the first event is usually ' +
      '`response.created`. p50 and p95 are nearest-rank over all requests of the combination.',
    '- Image bytes are the decoded file; host tokens are `usage`, image tokens ' +
      '`tool_usage.image_gen`.',
    '',
  ].join('\n');
}

function latencyRow({ combination: c, results }: CombinationRun): string[] {
  const latencies = results.map((r) => r.latencyMs);
  const firstEvents = results.flatMap((r) =>
    r.firstEventMs === undefined ? [] : [r.firstEventMs],
  );
  const ok = results.filter((r) => r.failures.length === 0).length;
  return [
    c.model,
    c.size,
    c.format,
    `${ok}/${results.length}`,
    seconds(percentile(latencies, 0)),
    seconds(percentile(latencies, 50)),
    seconds(percentile(latencies, 95)),
    seconds(percentile(latencies, 100)),
    seconds(percentile(firstEvents, 50)),
  ];
}

function usageRow({ combination: c, results }: CombinationRun): string[] {
  const ok = results.filter((r) => r.failures.length === 0);
  const avg = (pick: (r: (typeof ok)[number]) => number) =>
    ok.length === 0
      ? '–'
      : Math.round(ok.reduce((sum, r) => sum + pick(r), 0) / ok.length).toLocaleString('en-US');
  return [
    c.model,
    c.size,
    c.format,
    avg((r) => r.imageBytes),
    avg((r) => r.host.input),
    avg((r) => r.host.output),
    avg((r) => r.image.input),
    avg((r) => r.image.output),
  ];
}

/** Nearest-rank percentile; undefined for no values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '–' : (ms / 1000).toFixed(ms < 10_000 ? 3 : 1);
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const align = header.map((_, i) => (i < 3 ? '---' : '---:'));
  return [line(header), line(align), ...rows.map(line)].join('\n');
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}
