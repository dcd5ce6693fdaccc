import type { ClientAuth } from './clients.js';
import type { Config } from './config/schema.js';
import { Exchange } from './exchange.js';
import { GatewayError } from './errors.js';
import type { Inbound, InboundHandler } from './http/direct-routes.js';
import { readBody } from './http/read-body.js';
import type { Logger } from './log.js';
import type { Meter } from './meter.js';
import { PROTOCOLS } from './protocols/index.js';
import type { RouteEntry, RouteSpec } from './routes.js';
import type { FailFn, Forwarder } from './upstream/forward.js';
import type { UpstreamSelector } from './upstream/select.js';
import { ExchangeTrace } from './telemetry/exchange-trace.js';
import type { SpanRecorder } from './telemetry/span-recorder.js';
import { LabelValue } from './telemetry/vocabulary.js';

export interface HandlerDeps {
  /** Set when traces are exported. */
  spans?: SpanRecorder;
  config: Config;
  auth: ClientAuth;
  meter: Meter;
  log: Logger;
  selector: UpstreamSelector;
  forwarder: Forwarder;
  fail: FailFn;
}

/**
 * Handles one request on a protocol route from arrival to its single ending: identify the
 * client, read and inspect the body, choose the upstream, forward. Answers stream straight to
 * the socket.
 */
export function exchangeHandler(resolve: RouteEntry['resolve'], deps: HandlerDeps): InboundHandler {
  return async (inbound: Inbound): Promise<void> => {
    const route = resolve(inbound.params, inbound.req.headers);
    const exchange = new Exchange(requestIdFrom(inbound.req.headers['x-request-id']));
    exchange.route = route.template;
    exchange.operation = route.operation;
    exchange.protocol = route.protocol;
    exchange.provider = PROTOCOLS[route.protocol].provider;
    if (deps.spans) exchange.trace = new ExchangeTrace(deps.spans, inbound.req, inbound.path);
    deps.meter.started(exchange);

    try {
      await handle(inbound, route, exchange, deps);
    } catch (err) {
      const error =
        err instanceof GatewayError ? err : clientGoneOrBug(inbound, exchange, err, deps);
      if (error) deps.fail(inbound.res, exchange, error);
    }
  };
}

async function handle(inbound: Inbound, route: RouteSpec, exchange: Exchange, deps: HandlerDeps) {
  // Step 1: who is calling.
  const client = deps.auth.identify(inbound.req.headers, inbound.querystring);
  if (client === undefined) {
    exchange.client = LabelValue.unauthenticatedClient;
    throw new GatewayError('invalid_client_key', 'Missing or invalid client key.');
  }
  exchange.client = client;

  // Step 2: what is asked.
  const protocol = PROTOCOLS[route.protocol];
  const path = upstreamPath(inbound, protocol.versionPrefix);
  const raw = await readBody(inbound.req, deps.config.limits.max_body_bytes);
  const request = { headers: inbound.req.headers, body: raw, params: inbound.params };
  const prepared = await protocol.prepare(route, exchange, request);

  // Step 3: where it goes. A metered request without a model only fits an upstream that takes
  // every model; an unmetered one goes by its model when it names one.
  const model = exchange.metered ? (exchange.model ?? '') : exchange.model;
  const upstream = deps.selector.select(route.protocol, model);
  if (!upstream) {
    const named = exchange.model ? `model "${exchange.model.slice(0, 200)}"` : 'this request';
    throw new GatewayError('no_upstream', `No upstream is configured for ${named}.`);
  }

  await deps.forwarder.forward(inbound.res, exchange, {
    upstream,
    method: inbound.method,
    path,
    clientHeaders: inbound.req.headers,
    credential: protocol.credential,
    ...prepared,
  });
}

/** The path after the version prefix, with the query string, refusing dot segments: the
 * upstream URL is `base_url` plus this, and a request must never climb out of `base_url`. */
function upstreamPath(inbound: Inbound, prefix: string): string {
  const rest = inbound.path.slice(prefix.length);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new GatewayError('invalid_path', 'The request path is not valid.');
  }
  if (/(^|\/)\.\.?(\/|$)/.test(decoded) || decoded.includes('\\')) {
    throw new GatewayError('invalid_path', 'The request path may not contain dot segments.');
  }
  const query = withoutClientKey(inbound.querystring);
  return rest + (query ? `?${query}` : '');
}

/** Drops `key=` (a Gemini client's key) from the query string; every other parameter stays
 * byte for byte as the client wrote it. */
function withoutClientKey(query: string): string {
  if (!query) return query;
  return query
    .split('&')
    .filter((pair) => safeDecode(pair.split('=')[0]) !== 'key')
    .join('&');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** A client-supplied request id is reused when it is short and plain; otherwise we make one. */
function requestIdFrom(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.length <= 128 && /^[\w.:-]+$/.test(value)
    ? value
    : undefined;
}

/** An unexpected error: the client left mid-read, or a bug of ours (answered as a 500-class
 * error that says nothing about it, and logged). */
function clientGoneOrBug(inbound: Inbound, exchange: Exchange, err: unknown, deps: HandlerDeps) {
  if (inbound.req.destroyed || inbound.res.destroyed) {
    if (exchange.end('client_aborted', 'client_aborted')) deps.meter.finished(exchange);
    return undefined;
  }
  deps.log.error({ err, request_id: exchange.id }, 'unexpected error while handling an exchange');
  return new GatewayError('internal_error', 'Tollgate failed to handle this request.');
}
