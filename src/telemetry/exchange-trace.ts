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
    const parent = req.headers.traceparent
      ? propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter)
      : ROOT_CONTEXT;
    const method = (this.method = req.method ?? 'GET');
    // Attributes are set one by one rather than passed to startSpan, which checks and copies
    // them three times over; Tollgate's samplers (OTEL_TRACES_SAMPLER) never look at them.
    const server = (this.server = tracer.startSpan(method, { kind: SpanKind.SERVER }, parent));
    server.setAttribute(SpanAttr.httpMethod, method);
    server.setAttribute(SpanAttr.urlPath, path);
    server.setAttribute(SpanAttr.clientAddress, req.socket.remoteAddress ?? '');
    this.context = trace.setSpan(parent, server);
  }

  get traceId(): string {
    return this.server.spanContext().traceId;
  }

  /** Starts the CLIENT span of an attempt; returns the headers that carry its context upstream. */
  attemptStarted(exchange: Exchange, account: string, url: URL): Record<string, string> {
    this.attempt?.end();
    const model = exchange.model?.slice(0, MAX_MODEL_CHARS);
    const name = `${exchange.operation} ${model ?? 'unknown'}`;
    const attempt = (this.attempt = this.tracer.startSpan(
      name,
      { kind: SpanKind.CLIENT },
      this.context,
    ));
    attempt.setAttribute(SpanAttr.operationName, exchange.operation);
    attempt.setAttribute(SpanAttr.providerName, exchange.provider);
    attempt.setAttribute(SpanAttr.requestStream, exchange.stream);
    attempt.setAttribute(SpanAttr.serverAddress, url.hostname);
    attempt.setAttribute(SpanAttr.serverPort, serverPort(url));
    attempt.setAttribute(SpanAttr.account, account);
    attempt.setAttribute(SpanAttr.client, exchange.client);
    if (model !== undefined) attempt.setAttribute(SpanAttr.requestModel, model);
    const headers: Record<string, string> = {};
    propagator.inject(trace.setSpan(this.context, attempt), headers, defaultTextMapSetter);
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
      setResultAttributes(this.attempt, exchange);
      if (exchange.outcome !== 'success') this.fail(this.attempt, exchange.errorType);
      this.attempt.end();
    }
    const server = this.server;
    server.setAttribute(SpanAttr.httpRoute, exchange.route);
    server.setAttribute(SpanAttr.httpStatus, exchange.statusCode ?? 499);
    server.setAttribute(SpanAttr.account, exchange.account);
    server.setAttribute(SpanAttr.client, exchange.client);
    server.setAttribute(SpanAttr.outcome, exchange.outcome ?? 'unknown');
    server.setAttribute(SpanAttr.requestId, exchange.id);
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

/** What the upstream reported, on the attempt that answered. */
function setResultAttributes(span: Span, exchange: Exchange): void {
  const usage = exchange.usage;
  const ttft = exchange.timeToFirstTokenSeconds;
  span.setAttribute(SpanAttr.outcome, exchange.outcome ?? 'unknown');
  span.setAttribute(SpanAttr.inputTokens, usage.host_in);
  span.setAttribute(SpanAttr.outputTokens, usage.host_out);
  span.setAttribute(SpanAttr.cacheReadTokens, usage.cache);
  span.setAttribute(SpanAttr.cacheCreationTokens, usage.cache_write);
  span.setAttribute(SpanAttr.reasoningTokens, usage.reasoning);
  if (exchange.responseModel) span.setAttribute(SpanAttr.responseModel, exchange.responseModel);
  if (exchange.responseId) span.setAttribute(SpanAttr.responseId, exchange.responseId);
  if (ttft !== undefined) span.setAttribute(SpanAttr.timeToFirstChunk, ttft);
  if (exchange.imageOutcome) {
    span.setAttribute(SpanAttr.imageOutcome, exchange.imageOutcome);
    span.setAttribute(SpanAttr.imageReason, exchange.imageReason ?? 'unknown');
    span.setAttribute(SpanAttr.imageInputTokens, usage.image_in);
    span.setAttribute(SpanAttr.imageOutputTokens, usage.image_out);
  }
}

function serverPort(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}
