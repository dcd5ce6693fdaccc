import type { IncomingMessage } from 'node:http';
import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Exchange } from '../exchange.js';
import { SpanAttr } from './vocabulary.js';

const propagator = new W3CTraceContextPropagator();

/** Span attribute values are capped: a client may send a model name of any length. */
const MAX_MODEL_CHARS = 256;

/**
 * The trace of one exchange: a SERVER span for the inbound request, child of the caller's
 * `traceparent` when it sent one, and a CLIENT span per upstream attempt, whose context goes
 * upstream as `traceparent`. Only names, classes, counts and labels are recorded: never a key,
 * a prompt or a completion.
 */
export class ExchangeTrace {
  private readonly server: Span;
  private readonly context: Context;
  private readonly method: string;
  private attempt?: Span;

  constructor(
    private readonly tracer: Tracer,
    req: IncomingMessage,
    path: string,
  ) {
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const method = (this.method = req.method ?? 'GET');
    this.server = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [SpanAttr.httpMethod]: method,
          [SpanAttr.urlPath]: path,
          [SpanAttr.clientAddress]: req.socket.remoteAddress ?? '',
        },
      },
      parent,
    );
    this.context = trace.setSpan(parent, this.server);
  }

  get traceId(): string {
    return this.server.spanContext().traceId;
  }

  /** Starts the CLIENT span of an attempt; returns the headers that carry its context upstream. */
  attemptStarted(exchange: Exchange, account: string, url: URL): Record<string, string> {
    this.attempt?.end();
    const model = exchange.model?.slice(0, MAX_MODEL_CHARS);
    this.attempt = this.tracer.startSpan(
      `${exchange.operation} ${model ?? 'unknown'}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [SpanAttr.operationName]: exchange.operation,
          [SpanAttr.providerName]: exchange.provider,
          [SpanAttr.requestStream]: exchange.stream,
          [SpanAttr.serverAddress]: url.hostname,
          [SpanAttr.serverPort]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
          [SpanAttr.account]: account,
          [SpanAttr.client]: exchange.client,
          ...(model === undefined ? {} : { [SpanAttr.requestModel]: model }),
        },
      },
      this.context,
    );
    const headers: Record<string, string> = {};
    propagator.inject(trace.setSpan(this.context, this.attempt), headers, defaultTextMapSetter);
    return headers;
  }

  /** The attempt got an answer: a status of 400 or more marks it failed. */
  attemptAnswered(status: number): void {
    this.attempt?.setAttribute(SpanAttr.httpStatus, status);
    if (status >= 400) this.fail(this.attempt, String(status));
  }

  /** The attempt got no answer (connection error, timeout, client gone). */
  attemptFailed(errorType: string): void {
    this.fail(this.attempt, errorType);
    this.attempt?.end();
    this.attempt = undefined;
  }

  /** Something happened to an account (a cool-down, a failover): an event on the SERVER span. */
  event(name: string, attributes: Attributes): void {
    this.server.addEvent(name, attributes);
  }

  /** Records the exchange's ending on the last attempt and the SERVER span, and ends both. */
  finish(exchange: Exchange): void {
    if (this.attempt) {
      this.attempt.setAttributes(resultAttributes(exchange));
      if (exchange.outcome !== 'success') this.fail(this.attempt, exchange.errorType);
      this.attempt.end();
    }
    this.server.setAttributes({
      [SpanAttr.httpRoute]: exchange.route,
      [SpanAttr.httpStatus]: exchange.statusCode ?? 499,
      [SpanAttr.account]: exchange.account,
      [SpanAttr.client]: exchange.client,
      [SpanAttr.outcome]: exchange.outcome ?? 'unknown',
      [SpanAttr.requestId]: exchange.id,
    });
    // HTTP semantic conventions name a server span after the method and the route template.
    this.server.updateName(`${this.method} ${exchange.route}`);
    if (exchange.outcome !== 'success') this.fail(this.server, exchange.errorType);
    this.server.end();
  }

  private fail(span: Span | undefined, errorType: string | undefined): void {
    const type = errorType ?? 'error';
    span?.setAttribute(SpanAttr.errorType, type);
    span?.setStatus({ code: SpanStatusCode.ERROR, message: type });
  }
}

/** What the upstream reported, for the attempt that answered. */
function resultAttributes(exchange: Exchange): Attributes {
  const usage = exchange.usage;
  const ttft = exchange.timeToFirstTokenSeconds;
  const attributes: Attributes = {
    [SpanAttr.outcome]: exchange.outcome ?? 'unknown',
    [SpanAttr.inputTokens]: usage.host_in,
    [SpanAttr.outputTokens]: usage.host_out,
    [SpanAttr.cacheReadTokens]: usage.cache,
    [SpanAttr.cacheCreationTokens]: usage.cache_write,
    [SpanAttr.reasoningTokens]: usage.reasoning,
  };
  if (exchange.responseModel) attributes[SpanAttr.responseModel] = exchange.responseModel;
  if (exchange.responseId) attributes[SpanAttr.responseId] = exchange.responseId;
  if (ttft !== undefined) attributes[SpanAttr.timeToFirstChunk] = ttft;
  if (exchange.imageOutcome) {
    attributes[SpanAttr.imageOutcome] = exchange.imageOutcome;
    attributes[SpanAttr.imageReason] = exchange.imageReason ?? 'unknown';
    attributes[SpanAttr.imageInputTokens] = usage.image_in;
    attributes[SpanAttr.imageOutputTokens] = usage.image_out;
  }
  return attributes;
}
