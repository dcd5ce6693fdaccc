import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { Client, request } from 'undici';
import { machineBusySeconds, type ProcessProbe } from './proc.js';
import type { Target, TargetName } from './targets.js';
import type { Workload } from './workloads.js';

/** One load run of one workload against one target. */
export interface Run {
  workload: string;
  target: TargetName;
  connections: number;
  /** Requests per second the load generator was held to; unset when it went as fast as the
   * target answered. */
  rate?: number;
  /** Responses received, whatever their status. */
  requests: number;
  seconds: number;
  non2xx: number;
  /** Connection errors and timeouts: requests that got no response at all. */
  errors: number;
  /** Latency of 2xx responses, from the request's first byte sent to the response's last. */
  p50Ms: number;
  p99Ms: number;
  /** Streams at one connection: median time from the request's first byte sent to the first
   * body bytes (the first event) received. NaN otherwise. */
  ttfeP50Ms: number;
  proxyCpuSeconds: number;
  proxyPeakRssBytes: number;
  /** CPU seconds of this process, the load generator. */
  harnessCpuSeconds: number;
  /** CPU seconds of the simulated upstream's process. */
  upstreamCpuSeconds: number;
  /** CPU seconds the rest of the machine used meanwhile: other people's builds and tests. */
  otherCpuSeconds: number;
}

/** Sends one request and throws unless the answer is a 200 whose body looks right. */
export async function checkAnswer(target: Target, workload: Workload): Promise<void> {
  const answer = await request(target.origin + workload.path, {
    method: workload.method,
    headers: workload.headers,
    body: workload.body,
  });
  const text = await answer.body.text();
  if (answer.statusCode === 200 && workload.expect.test(text)) return;
  throw new Error(
    `${target.name} answered "${workload.name}" with status ${answer.statusCode}, ` +
      `expected 200 and a body matching ${workload.expect}:\n${text.slice(0, 1000)}`,
  );
}

/** Loads `target` with `workload` for `seconds`, as fast as it answers or at `rate` requests
 * per second, and reads what it cost the proxy. */
export async function measure(
  target: Target,
  upstream: ProcessProbe,
  workload: Workload,
  connections: number,
  seconds: number,
  rate?: number,
): Promise<Run> {
  target.assertAlive();
  const latencies = createHistogram();
  const firstEvents = createHistogram();
  const proxyCpuBefore = target.probe.cpuSeconds();
  const upstreamBefore = upstream.cpuSeconds();
  const harnessBefore = process.cpuUsage();
  const machineBefore = machineBusySeconds();
  target.probe.startWindow();

  const result =
    connections === 1
      ? await sequential(target, workload, seconds, latencies, firstEvents)
      : await load(target, workload, connections, seconds, latencies, rate);

  const proxyPeakRssBytes = target.probe.endWindow();
  const proxyCpuSeconds = target.probe.cpuSeconds() - proxyCpuBefore;
  const upstreamCpuSeconds = upstream.cpuSeconds() - upstreamBefore;
  const harness = process.cpuUsage(harnessBefore);
  const harnessCpuSeconds = (harness.user + harness.system) / 1e6;
  const machine = machineBusySeconds() - machineBefore;
  target.assertAlive();
  return {
    workload: workload.name,
    target: target.name,
    connections,
    rate,
    ...result,
    p50Ms: percentileMs(latencies, 50),
    p99Ms: percentileMs(latencies, 99),
    ttfeP50Ms: workload.stream ? percentileMs(firstEvents, 50) : NaN,
    proxyCpuSeconds,
    proxyPeakRssBytes,
    harnessCpuSeconds,
    upstreamCpuSeconds,
    otherCpuSeconds: Math.max(
      0,
      machine - proxyCpuSeconds - harnessCpuSeconds - upstreamCpuSeconds,
    ),
  };
}

type Counts = Pick<Run, 'requests' | 'seconds' | 'non2xx' | 'errors'>;

/**
 * One connection, one request after the other, timing the first and the last body bytes of
 * each answer: autocannon reports only the last, and at one connection this client's own cost
 * is small next to the proxies'.
 */
async function sequential(
  target: Target,
  workload: Workload,
  seconds: number,
  latencies: RecordableHistogram,
  firstEvents: RecordableHistogram,
): Promise<Counts> {
  const client = new Client(target.origin, { pipelining: 1 });
  const counts: Counts = { requests: 0, seconds, non2xx: 0, errors: 0 };
  const { path, method, headers, body } = workload;
  const until = performance.now() + seconds * 1000;
  try {
    while (performance.now() < until) {
      const start = performance.now();
      try {
        const answer = await client.request({ path, method, headers, body });
        let first = NaN;
        for await (const _chunk of answer.body) if (Number.isNaN(first)) first = performance.now();
        const last = performance.now();
        counts.requests++;
        if (answer.statusCode < 200 || answer.statusCode >= 300) counts.non2xx++;
        else {
          latencies.record(micros(last - start));
          if (!Number.isNaN(first)) firstEvents.record(micros(first - start));
        }
      } catch {
        counts.errors++;
      }
    }
  } finally {
    await client.close();
  }
  return counts;
}

function micros(ms: number): number {
  return Math.max(1, Math.round(ms * 1000));
}

/**
 * Runs autocannon. Its own latency histogram keeps whole milliseconds only, too coarse for a
 * one-connection run where a request takes well under one, so every 2xx response time (a
 * float in ms) also goes into a histogram of microseconds.
 */
function load(
  target: Target,
  workload: Workload,
  connections: number,
  seconds: number,
  latencies: RecordableHistogram,
  rate: number | undefined,
): Promise<Counts> {
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.origin + workload.path,
        method: workload.method,
        headers: workload.headers,
        body: workload.body,
        connections,
        duration: seconds,
        ...(rate === undefined ? {} : { overallRate: rate }),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode < 200 || statusCode >= 300) return;
      latencies.record(micros(ms));
    });
  }).then((result) => ({
    requests: result.requests.total,
    seconds: result.duration,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }));
}

function percentileMs(histogram: RecordableHistogram, percentile: number): number {
  return histogram.count === 0 ? NaN : histogram.percentile(percentile) / 1000;
}
