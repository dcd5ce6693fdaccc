import {
  isSpanContextValid,
  SamplingDecision,
  SpanKind,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
} from '@opentelemetry/api';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import { ExchangeSpan, type SpanSink } from './exchange-span.js';
import { TraceIds } from './trace-ids.js';

/**
 * Starts Tollgate's spans: gives them their ids and asks the sampler (`OTEL_TRACES_SAMPLER`)
 * whether a trace is recorded.
 *
 * The sampler is asked once per trace, for its first span in this process. The spans under it
 * take its decision, which is what each standard sampler would answer for them anyway: the
 * parent-based ones follow a local parent, the ratio sampler decides by the trace id they
 * share, and always_on and always_off do not look.
 */
export class SpanRecorder {
  private readonly ids = new TraceIds();

  constructor(
    private readonly sink: SpanSink,
    private readonly sampler: Sampler,
  ) {}

  /** A SERVER span, the child of the caller's span when `parent` holds a valid one. */
  startServer(name: string, parent: Context): ExchangeSpan {
    const caller = trace.getSpanContext(parent);
    const remote = caller && isSpanContextValid(caller) ? caller : undefined;
    const traceId = remote?.traceId ?? this.ids.traceId();
    const sampling = this.sampler.shouldSample(parent, traceId, name, SpanKind.SERVER, {}, []);
    const sampled = sampling.decision === SamplingDecision.RECORD_AND_SAMPLED;
    const context: SpanContext = {
      traceId,
      spanId: this.ids.spanId(),
      traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: sampling.traceState ?? remote?.traceState,
    };
    return new ExchangeSpan(this.sink, name, SpanKind.SERVER, context, remote, sampled);
  }

  /** A span under another of this process's spans, sampled as its parent is. */
  startChild(parent: ExchangeSpan, name: string, kind: SpanKind): ExchangeSpan {
    const { traceId, traceFlags, traceState } = parent.spanContext();
    const context = { traceId, spanId: this.ids.spanId(), traceFlags, traceState };
    return new ExchangeSpan(this.sink, name, kind, context, parent.spanContext(), parent.recording);
  }
}

/** The W3C `traceparent` (and `tracestate`) headers that make the next hop a child of `span`. */
export function traceContextHeaders(span: ExchangeSpan): Record<string, string> {
  const { traceId, spanId, traceFlags, traceState } = span.spanContext();
  const flags = (traceFlags & 0xff).toString(16).padStart(2, '0');
  const headers: Record<string, string> = { traceparent: `00-${traceId}-${spanId}-${flags}` };
  if (traceState) headers.tracestate = traceState.serialize();
  return headers;
}
