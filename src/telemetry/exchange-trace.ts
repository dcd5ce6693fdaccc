import type { IncomingMessage } from 'node:http';
import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, type Attributes } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Exchange } from '../exchange.js';
import type { ExchangeSpan } from './exchange-span.js';
import { traceContextHeaders, type SpanRecorder } from './span-recorder.js';
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
  private readonly server: ExchangeSpan;
  private readonly method: string;
  private attempt?: ExchangeSpan;

  constructor(
    private readonly spans: SpanRecorder,
    req: IncomingMessage,
    path: string,
  ) {
    const parent = req.headers.traceparent
      ? propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter)
      : ROOT_CONTEXT;
    const method = (this.method = req.method ?? 'GET');
    const server = (this.server = spans.startServer(method, parent));
    server.set(SpanAttr.httpMethod, method);
    server.set(SpanAttr.urlPath, path);
    server.set(SpanAttr.clientAddress, req.socket.remoteAddress ?? '');
  }

  get traceId(): string {
    return this.server.spanContext().traceId;
  }

  /** Starts the CLIENT span of an attempt; returns the headers that carry its context upstream. */
  attemptStarted(exchange: Exchange, account: string, url: URL): Record<string, string> {
    this.attempt?.end();
    const model = exchange.model?.slice(0, MAX_MODEL_CHARS);
    const name = `${exchange.operation} ${model ?? 'unknown'}`;
    const attempt = (this.attempt = this.spans.startChild(this.server, name, SpanKind.CLIENT));
    attempt.set(SpanAttr.operationName, exchange.operation);
    attempt.set(SpanAttr.providerName, exchange.provider);
    attempt.set(SpanAttr.requestStream, exchange.stream);
    attempt.set(SpanAttr.serverAddress, url.hostname);
    attempt.set(SpanAttr.serverPort, serverPort(url));
    attempt.set(SpanAttr.account, account);
    attempt.set(SpanAttr.client, exchange.client);
    if (model !== undefined) attempt.set(SpanAttr.requestModel, model);
    return traceContextHeaders(attempt);
  }

  /** The attempt got an answer: a status of 400 or more marks it failed. */
  attemptAnswered(status: number): void {
    this.attempt?.set(SpanAttr.httpStatus, status);
    if (status >= 400) this.attempt?.fail(String(status));
  }

  /** The attempt got no answer (connection error, timeout, client gone). */
  attemptFailed(errorType: string): void {
    this.attempt?.fail(errorType);
    this.attempt?.end();
    this.attempt = undefined;
  }

  /** Something happened to an account (a cool-down, a failover): an event on the SERVER span. */
  event(name: string, attributes: Attributes): void {
    this.server.addEvent(name, attributes);
  }

  /** Records the exchange's ending on the last attempt and the SERVER span, and ends both. */
  finish(exchange: Exchange): void {
    const failure = exchange.outcome === 'success' ? undefined : (exchange.errorType ?? 'error');
    if (this.attempt) {
      setResultAttributes(this.attempt, exchange);
      if (failure) this.attempt.fail(failure);
      this.attempt.end();
    }
    const server = this.server;
    server.set(SpanAttr.httpRoute, exchange.route);
    server.set(SpanAttr.httpStatus, exchange.statusCode ?? 499);
    server.set(SpanAttr.account, exchange.account);
    server.set(SpanAttr.client, exchange.client);
    server.set(SpanAttr.outcome, exchange.outcome ?? 'unknown');
    server.set(SpanAttr.requestId, exchange.id);
    // HTTP semantic conventions name a server span after the method and the route template.
    server.name = `${this.method} ${exchange.route}`;
    if (failure) server.fail(failure);
    server.end();
  }
}

/** What the upstream reported, on the attempt that answered. */
function setResultAttributes(span: ExchangeSpan, exchange: Exchange): void {
  const usage = exchange.usage;
  const ttft = exchange.timeToFirstTokenSeconds;
  span.set(SpanAttr.outcome, exchange.outcome ?? 'unknown');
  span.set(SpanAttr.inputTokens, usage.host_in);
  span.set(SpanAttr.outputTokens, usage.host_out);
  span.set(SpanAttr.cacheReadTokens, usage.cache);
  span.set(SpanAttr.cacheCreationTokens, usage.cache_write);
  span.set(SpanAttr.reasoningTokens, usage.reasoning);
  if (exchange.responseModel) span.set(SpanAttr.responseModel, exchange.responseModel);
  if (exchange.responseId) span.set(SpanAttr.responseId, exchange.responseId);
  if (ttft !== undefined) span.set(SpanAttr.timeToFirstChunk, ttft);
  if (exchange.imageOutcome) {
    span.set(SpanAttr.imageOutcome, exchange.imageOutcome);
    span.set(SpanAttr.imageReason, exchange.imageReason ?? 'unknown');
    span.set(SpanAttr.imageInputTokens, usage.image_in);
    span.set(SpanAttr.imageOutputTokens, usage.image_out);
  }
}

function serverPort(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}
