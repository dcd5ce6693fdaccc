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
  /** The largest resident set sampled while they were open. */
  peakRssBytes: number;
  /** How long the slowest stream took to open (first event received), in ms. */
  allOpenMs: number;
  durationMs: number;
}

const SAMPLE_MS = 250;

/** Opens `streams` streams of `workload` at once and samples memory until all have ended. */
export async function slowStreams(
  target: Target,
  workload: Workload,
  streams: number,
): Promise<SlowStreamsResult> {
  target.assertAlive();
  const pool = new Pool(target.origin, { connections: streams, headersTimeout: 0, bodyTimeout: 0 });
  const idleRssBytes = target.probe.rssBytes();
  let peakRssBytes = idleRssBytes;
  const sampler = setInterval(() => {
    peakRssBytes = Math.max(peakRssBytes, target.probe.rssBytes());
  }, SAMPLE_MS);
  const started = performance.now();
  let opened = 0;
  let allOpenMs = NaN;
  const one = async (): Promise<boolean> => {
    const { path, method, headers, body } = workload;
    const answer = await pool.request({ path, method, headers, body });
    let first = true;
    let text = '';
    for await (const chunk of answer.body) {
      if (first && ++opened === streams) allOpenMs = performance.now() - started;
      first = false;
      text = (text + chunk.toString()).slice(-64);
    }
    return answer.statusCode === 200 && workload.expect.test(text);
  };
  const outcomes = await Promise.allSettled(Array.from({ length: streams }, one));
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
    peakRssBytes,
    allOpenMs,
    durationMs: performance.now() - started,
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
