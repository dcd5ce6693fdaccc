import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import { TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { spanEncoding } from './span-encoding.js';
import { SpanRecorder } from './span-recorder.js';
import { samplerFromEnv } from './trace-sampler.js';

type Env = Record<string, string | undefined>;

/** Traces are on when an OTLP endpoint is configured; `spans` then starts Tollgate's spans. */
export interface Tracing {
  spans: SpanRecorder;
  /** Exports what is pending and stops; called on shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Sets up span export from the standard OpenTelemetry environment variables only:
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` (nothing is exported
 * without one), `OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL` (`http/protobuf` by default, `http/json`,
 * `grpc`), `OTEL_TRACES_EXPORTER=none` to turn traces off, `OTEL_TRACES_SAMPLER[_ARG]`,
 * `OTEL_[SPAN_]ATTRIBUTE_VALUE_LENGTH_LIMIT`, and — read by the SDK itself —
 * `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_HEADERS` and
 * `OTEL_BSP_*`. Spans leave in batches, off the request path, so a slow or dead collector never
 * delays a client.
 */
export function createTracing(env: Env = process.env): Tracing | undefined {
  const exporter = createExporter(env);
  if (!exporter) return undefined;

  const resource = resourceFromAttributes({ 'service.name': 'tollgate' }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const processor = new BatchSpanProcessor(exporter);
  const sink = {
    resource,
    scope: { name: 'tollgate' },
    processor,
    valueLengthLimit: valueLengthLimit(env),
  };
  return {
    spans: new SpanRecorder(sink, samplerFromEnv(env)),
    shutdown: () => bounded(processor.shutdown(), SHUTDOWN_GRACE_MS),
  };
}

/** The longest string attribute value, by the span limit or else the general one; no limit by
 * default. */
function valueLengthLimit(env: Env): number {
  const limit = Number(
    env.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT || env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT || NaN,
  );
  return Number.isInteger(limit) && limit >= 0 ? limit : Infinity;
}

/** How long shutdown waits for pending spans to reach the collector before giving up on them. */
const SHUTDOWN_GRACE_MS = 3000;

/** Waits for `work` at most `ms`; a collector that is down must not hold up a shutdown, and its
 * failure is not Tollgate's. */
async function bounded(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([work.catch(() => undefined), timeout]);
  clearTimeout(timer);
}

function createExporter(env: Env): SpanExporter | undefined {
  const kind = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((s) => s.trim());
  if (!kind.includes('otlp')) return undefined;
  const signalUrl = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const baseUrl = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!signalUrl && !baseUrl) return undefined;

  const protocol =
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (protocol === 'grpc') return new GrpcExporter(signalUrl ? { url: signalUrl } : {});
  // The specification appends the signal path only to the generic endpoint.
  const url = signalUrl ?? `${baseUrl!.replace(/\/+$/, '')}/v1/traces`;
  return protocol === 'http/json' ? new JsonExporter({ url }) : protobufExporter(url);
}

/** The SDK's OTLP/HTTP protobuf exporter (its transport, headers, retries and timeouts) with
 * Tollgate's span encoding in place of the SDK's, which costs several times more CPU. */
function protobufExporter(url: string): SpanExporter {
  const options = convertLegacyHttpOptions({ url }, 'TRACES', 'v1/traces', {
    'Content-Type': 'application/x-protobuf',
  });
  const delegate = createOtlpHttpExportDelegate(
    options,
    spanEncoding,
    'otlp_http_span_exporter',
    TraceExporterMetricsHelper,
    undefined,
  );
  return new OTLPExporterBase<ReadableSpan[]>(delegate);
}
