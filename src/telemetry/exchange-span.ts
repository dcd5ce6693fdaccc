import {
  SpanStatusCode,
  type AttributeValue,
  type Attributes,
  type HrTime,
  type Link,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
} from '@opentelemetry/api';
import {
  addHrTimes,
  hrTimeDuration,
  millisToHrTime,
  type InstrumentationScope,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { SpanAttr } from './vocabulary.js';

/** What every span of the process shares: what describes it and where it goes when it ends. */
export interface SpanSink {
  resource: Resource;
  scope: InstrumentationScope;
  processor: SpanProcessor;
  /** String attribute values are cut to this many characters (the OpenTelemetry span limit). */
  valueLengthLimit: number;
}

const NO_LINKS: Link[] = [];
const UNSET: SpanStatus = { code: SpanStatusCode.UNSET };

/**
 * One span of an exchange, recorded by Tollgate and handed, once ended, to the SDK's span
 * processor and exporters as the `ReadableSpan` they read.
 *
 * Tollgate does not take its spans from the SDK's tracer because of what a span costs on the
 * request path. The SDK validates and copies every attribute on every call, asks the sampler and
 * builds a new context for each span, and reads three clocks. Tollgate's attributes are a fixed
 * set of keys with values it produced itself, and each trace is sampled once (see
 * `SpanRecorder`), so a span here is a plain record.
 *
 * Its clock works as the SDK's does: the start is wall-clock time, and the end and events are
 * that start plus the time elapsed on the monotonic clock.
 */
export class ExchangeSpan implements ReadableSpan {
  readonly attributes: Attributes = {};
  readonly events: TimedEvent[] = [];
  readonly links = NO_LINKS;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly startTime = millisToHrTime(Date.now());
  endTime: HrTime = [0, 0];
  status = UNSET;
  ended = false;
  private readonly startedAt = performance.now();

  constructor(
    private readonly sink: SpanSink,
    public name: string,
    readonly kind: SpanKind,
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    /** False when the sampler left the trace out: the span then only carries its context. */
    readonly recording: boolean,
  ) {}

  get resource(): Resource {
    return this.sink.resource;
  }

  get instrumentationScope(): InstrumentationScope {
    return this.sink.scope;
  }

  get duration(): HrTime {
    return hrTimeDuration(this.startTime, this.endTime);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  set(key: string, value: AttributeValue): void {
    if (!this.recording || this.ended) return;
    const limit = this.sink.valueLengthLimit;
    this.attributes[key] =
      typeof value === 'string' && value.length > limit ? value.slice(0, limit) : value;
  }

  addEvent(name: string, attributes: Attributes): void {
    if (!this.recording || this.ended) return;
    this.events.push({ name, attributes, time: this.now(), droppedAttributesCount: 0 });
  }

  /** Status ERROR with the error class as its message; `error.type` says the same. */
  fail(errorType: string): void {
    this.set(SpanAttr.errorType, errorType);
    if (this.recording && !this.ended)
      this.status = { code: SpanStatusCode.ERROR, message: errorType };
  }

  end(): void {
    if (this.ended) return;
    this.endTime = this.now();
    this.ended = true;
    if (this.recording) this.sink.processor.onEnd(this);
  }

  private now(): HrTime {
    return addHrTimes(this.startTime, millisToHrTime(performance.now() - this.startedAt));
  }
}
