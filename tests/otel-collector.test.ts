import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { openAiConfig, startGateway, type TestGateway } from './support/gateway.js';
import { OtlpReceiver } from './support/otlp-receiver.js';

/**
 * The shipped Collector configuration is well formed, and a Collector's Prometheus export of
 * Tollgate's OTLP metrics produces the same series names as the gateway's own /metrics.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('otel-collector.yaml', () => {
  const config = parse(readFileSync('otel-collector.yaml', 'utf8')) as Json;
  const pipelines = Object.entries(config.service.pipelines as Record<string, Json>);

  it('defines every component a pipeline references, and references every one it defines', () => {
    for (const section of ['receivers', 'processors', 'exporters'] as const) {
      const defined = Object.keys(config[section]).sort();
      const used = [...new Set(pipelines.flatMap(([, p]) => p[section] as string[]))].sort();
      expect(used, section).toEqual(defined);
    }
    expect(config.service.extensions).toEqual(Object.keys(config.extensions));
  });

  it('receives OTLP over gRPC and HTTP, batches, and sends traces on and metrics to Prometheus', () => {
    expect(Object.keys(config.receivers.otlp.protocols).sort()).toEqual(['grpc', 'http']);
    const byName = Object.fromEntries(pipelines);
    expect(byName.traces).toMatchObject({ receivers: ['otlp'], exporters: ['otlp/tempo'] });
    expect(byName.metrics).toMatchObject({ receivers: ['otlp'], exporters: ['prometheus'] });
    for (const [, pipeline] of pipelines) expect(pipeline.processors).toContain('batch');
    // The memory limiter must come first to protect the rest of the pipeline.
    for (const [, pipeline] of pipelines) expect(pipeline.processors[0]).toBe('memory_limiter');
  });
});

/**
 * The Collector's Prometheus naming (with unit and type suffixes on, its default): dots become
 * underscores, the unit word is appended unless the name already ends with it (annotations in
 * braces are no unit), and monotonic counters get `_total`.
 */
function collectorName(metric: Json): string {
  const base = metric.name.replace(/[^a-zA-Z0-9_:]/g, '_');
  const unit = UNIT_WORDS[metric.unit] ?? (String(metric.unit).startsWith('{') ? '' : metric.unit);
  const withUnit = unit && !base.endsWith(`_${unit}`) ? `${base}_${unit}` : base;
  return metric.sum?.isMonotonic ? `${withUnit}_total` : withUnit;
}
const UNIT_WORDS: Record<string, string> = {
  s: 'seconds',
  ms: 'milliseconds',
  By: 'bytes',
  '': '',
};

describe('series names through a Collector and on /metrics', () => {
  let sim: Simulator;
  let receiver: OtlpReceiver;
  let tg: TestGateway;

  beforeAll(async () => {
    sim = await startSimulator();
    receiver = new OtlpReceiver();
    const url = await receiver.start();
    tg = await startGateway(openAiConfig(sim.url), {
      env: {
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${url}/v1/metrics`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_METRIC_EXPORT_INTERVAL: '100',
      },
    });
  });
  afterAll(async () => {
    await tg.close();
    await receiver.close();
    await sim.close();
  });

  it('match for every tollgate_* series; only the GenAI duration histogram differs', async () => {
    const finished = tg.nextExchange();
    const res = await fetch(`${tg.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5.5', input: 'hi', stream: true }),
    });
    await res.text();
    await finished;
    const scrape = await tg.scrape();

    let metrics: Json[] = [];
    while (!metrics.some((m) => m.name === 'tollgate.tokens')) {
      await receiver.next();
      const batch = receiver.metricBatches.at(-1) as Json;
      metrics = batch.resourceMetrics.flatMap((rm: Json) =>
        rm.scopeMetrics.flatMap((sm: Json) => sm.metrics),
      );
    }
    // Tollgate's own and the GenAI instruments; the runtime instrumentation names its own.
    const differing = metrics
      .filter((m) => /^(tollgate|gen_ai)\./.test(m.name))
      .map((m) => ({ otel: m.name as string, collector: collectorName(m) }))
      .filter(({ collector }) => !scrape.types.has(collector));
    expect(differing).toEqual([
      {
        otel: 'gen_ai.client.operation.duration',
        collector: 'gen_ai_client_operation_duration_seconds',
      },
    ]);
    expect(scrape.types.get('tollgate_request_duration_seconds')).toBe('histogram');
    expect(scrape.types.get('tollgate_tokens_total')).toBe('counter');
  });
});
