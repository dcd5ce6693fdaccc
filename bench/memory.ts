import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import type { Target, TargetName } from './targets.js';
import type { Workload } from './workloads.js';

/**
 * The two memory workloads: many slow streams open at once, which weighs one open stream, and
 * a long steady load, which shows whether memory creeps up. Both read the proxy's resident set
 * (VmRSS) from outside, as an operator's monitoring would.
 */

/** What the two memory workloads found, for the report and the goals. */
export interface MemoryRuns {
  streams: readonly SlowStreamsResult[];
  soaked: SoakResult;
}

export interface SlowStreamsResult {
  target: TargetName;
  streams: number;
  completed: number;
  failed: number;
  /** Resident set just before the streams opened. */
  idleRssBytes: number;
  /** Resident set once the first half of the streams were open, and once all were. */
  halfOpenRssBytes: number;
  allOpenRssBytes: number;
  /** The largest resident set sampled while they were open. */
  peakRssBytes: number;
  /** How long the slower half took to open (first event received on each of its streams). */
  openMs: number;
  durationMs: number;
}

const SAMPLE_MS = 250;

/** How long after a half has opened its resident set is read, so that the allocations of the
 * opening burst have been collected or kept. */
const SETTLE_MS = 1000;

/**
 * Opens `streams` streams of `workload`, half at a time, and samples memory until all have
 * ended. The first half pays for whatever the process grows once, whatever it is serving (its
 * heap sized up for a burst of connections); the second half, opened while the first is still
 * going, weighs what each further open stream costs on its own.
 */
export async function slowStreams(
  target: Target,
  workload: Workload,
  streams: number,
): Promise<SlowStreamsResult> {
  target.assertAlive();
  const pool = new Pool(target.origin, { connections: streams, headersTimeout: 0, bodyTimeout: 0 });
  const idleRssBytes = target.probe.rssBytes();
  let peakRssBytes = idleRssBytes;
  const sample = () => {
    const rss = target.probe.rssBytes();
    peakRssBytes = Math.max(peakRssBytes, rss);
    return rss;
  };
  const sampler = setInterval(sample, SAMPLE_MS);
  const started = performance.now();
  const [firstHalf, secondHalf] = halves(streams);
  const first = openStreams(pool, workload, firstHalf);
  const halfOpenRssBytes = await first.opened.then(settle).then(sample);
  const second = openStreams(pool, workload, secondHalf);
  const allOpenRssBytes = await second.opened.then(settle).then(sample);
  const outcomes = [...(await first.outcomes), ...(await second.outcomes)];
  clearInterval(sampler);
  await pool.close();
  const completed = outcomes.filter((o) => o.status === 'fulfilled' && o.value).length;
  target.assertAlive();
  return {
    target: target.name,
    streams,
    completed,
    failed: streams - completed,
    idleRssBytes,
    halfOpenRssBytes,
    allOpenRssBytes,
    peakRssBytes,
    openMs: Math.max(await first.opened, await second.opened),
    durationMs: performance.now() - started,
  };
}

/** How many streams each half opens: the second takes the odd one. */
export function halves(streams: number): [number, number] {
  const first = Math.floor(streams / 2);
  return [first, streams - first];
}

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/** `count` streams at once: `opened` resolves, with the ms it took, when each has sent its
 * first event (or failed); `outcomes` when all have ended, each true if it ended as it should. */
function openStreams(pool: Pool, workload: Workload, count: number) {
  const started = performance.now();
  let pending = count;
  let markOpen!: () => void;
  const allOpen = new Promise<void>((resolve) => (markOpen = resolve));
  const opened = () => {
    if (--pending === 0) markOpen();
  };
  if (count === 0) markOpen();
  const one = async (): Promise<boolean> => {
    const { path, method, headers, body } = workload;
    let open = false;
    try {
      const answer = await pool.request({ path, method, headers, body });
      let text = '';
      for await (const chunk of answer.body) {
        if (!open) opened();
        open = true;
        text = (text + chunk.toString()).slice(-64);
      }
      return answer.statusCode === 200 && workload.expect.test(text);
    } finally {
      if (!open) opened();
    }
  };
  return {
    opened: allOpen.then(() => performance.now() - started),
    outcomes: Promise.allSettled(Array.from({ length: count }, one)),
  };
}

export interface SoakResult {
  target: TargetName;
  connections: number;
  seconds: number;
  requests: number;
  failed: number;
  /** [seconds since start, VmRSS bytes], one sample a second. */
  samples: [number, number][];
}

/** `connections` connections of `workload` for `seconds`, sampling memory every second. */
export async function soak(
  target: Target,
  workload: Workload,
  connections: number,
  seconds: number,
): Promise<SoakResult> {
  target.assertAlive();
  const samples: [number, number][] = [];
  const started = performance.now();
  const sample = () =>
    samples.push([(performance.now() - started) / 1000, target.probe.rssBytes()]);
  sample();
  const sampler = setInterval(sample, 1000);
  const { path, method, headers, body } = workload;
  const result = await autocannon({
    url: target.origin + path,
    method,
    headers,
    body,
    connections,
    duration: seconds,
  });
  clearInterval(sampler);
  sample();
  target.assertAlive();
  return {
    target: target.name,
    connections,
    seconds,
    requests: result.requests.total,
    failed: result.non2xx + result.errors + result.timeouts,
    samples,
  };
}
