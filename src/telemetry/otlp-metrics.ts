import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import {
  PeriodicExportingMetricReader,
  type MetricProducer,
  type MetricReader,
} from '@opentelemetry/sdk-metrics';

type Env = Record<string, string | undefined>;

/**
 * With `OTEL_METRICS_EXPORTER=otlp`, the same instruments served on `/metrics` are also pushed
 * over OTLP/HTTP (`OTEL_EXPORTER_OTLP[_METRICS]_ENDPOINT`, `..._PROTOCOL` http/protobuf or
 * http/json), every `OTEL_METRIC_EXPORT_INTERVAL` ms (60 s by default), with cumulative
 * temporality unless `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` says otherwise (for the
 * instruments that follow it: see HistogramTables).
 */
export function otlpMetricReader(
  env: Env,
  metricProducers: MetricProducer[] = [],
): MetricReader | undefined {
  const kinds = (env.OTEL_METRICS_EXPORTER ?? '').split(',').map((s) => s.trim());
  if (!kinds.includes('otlp')) return undefined;

  const signalUrl = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  const baseUrl = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318';
  const url = signalUrl ?? `${baseUrl.replace(/\/+$/, '')}/v1/metrics`;
  const protocol =
    env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  const exporter =
    protocol === 'http/json' ? new JsonExporter({ url }) : new ProtoExporter({ url });
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000);
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: Number.isFinite(interval) && interval > 0 ? interval : 60_000,
    metricProducers,
  });
}
