import type { Context } from 'koa';
import type { ClientAuth } from './clients.js';
import type { Config } from './config/schema.js';
import { Exchange } from './exchange.js';
import { GatewayError } from './errors.js';
import { readBody } from './http/read-body.js';
import type { Logger } from './log.js';
import type { Meter } from './meter.js';
import { prepareOpenAi } from './protocols/openai/prepare.js';
import { VERSION_PREFIX, type RouteSpec } from './routes.js';
import type { FailFn, Forwarder } from './upstream/forward.js';
import type { UpstreamSelector } from './upstream/select.js';
import { LabelValue } from './telemetry/vocabulary.js';

export interface HandlerDeps {
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
 * client, read and inspect the body, choose the upstream, forward. Koa's own response handling
 * is bypassed (`ctx.respond = false`): answers stream straight to the socket.
 */
export function exchangeHandler(route: RouteSpec, deps: HandlerDeps) {
  return async (ctx: Context): Promise<void> => {
    ctx.respond = false;
    const exchange = new Exchange(requestIdFrom(ctx.get('x-request-id')));
    exchange.route = route.template;
    exchange.operation = route.operation;
    deps.meter.started(exchange);

    try {
      await handle(ctx, route, exchange, deps);
    } catch (err) {
      const error = err instanceof GatewayError ? err : clientGoneOrBug(ctx, exchange, err, deps);
      if (error) deps.fail(ctx.res, exchange, error);
    }
  };
}

async function handle(ctx: Context, route: RouteSpec, exchange: Exchange, deps: HandlerDeps) {
  // Step 1: who is calling.
  const client = deps.auth.identify(ctx.req.headers);
  if (client === undefined) {
    exchange.client = LabelValue.unauthenticatedClient;
    throw new GatewayError('invalid_client_key', 'Missing or invalid client key.');
  }
  exchange.client = client;

  // Step 2: what is asked.
  const path = upstreamPath(ctx, route);
  const raw = await readBody(ctx.req, deps.config.limits.max_body_bytes);
  const prepared = prepareOpenAi(route, exchange, ctx.req.headers, raw);

  // Step 3: where it goes.
  const model = route.kind === 'unmetered' ? undefined : (exchange.model ?? '');
  const upstream = deps.selector.select(route.protocol, model);
  if (!upstream) {
    const named = exchange.model ? `model "${exchange.model.slice(0, 200)}"` : 'this request';
    throw new GatewayError('no_upstream', `No upstream is configured for ${named}.`);
  }

  await deps.forwarder.forward(ctx.res, exchange, {
    upstream,
    method: ctx.method,
    path,
    clientHeaders: ctx.req.headers,
    ...prepared,
  });
}

/** The path after the version prefix, with the query string, refusing dot segments: the
 * upstream URL is `base_url` plus this, and a request must never climb out of `base_url`. */
function upstreamPath(ctx: Context, route: RouteSpec): string {
  const prefix = VERSION_PREFIX[route.protocol];
  const rest = ctx.path.slice(prefix.length);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new GatewayError('invalid_path', 'The request path is not valid.');
  }
  if (/(^|\/)\.\.?(\/|$)/.test(decoded) || decoded.includes('\\')) {
    throw new GatewayError('invalid_path', 'The request path may not contain dot segments.');
  }
  return rest + (ctx.querystring ? `?${ctx.querystring}` : '');
}

/** A client-supplied request id is reused when it is short and plain; otherwise we make one. */
function requestIdFrom(value: string): string | undefined {
  return value && value.length <= 128 && /^[\w.:-]+$/.test(value) ? value : undefined;
}

/** An unexpected error: the client left mid-read, or a bug of ours (answered as a 500-class
 * error that says nothing about it, and logged). */
function clientGoneOrBug(ctx: Context, exchange: Exchange, err: unknown, deps: HandlerDeps) {
  if (ctx.req.destroyed || ctx.res.destroyed) {
    if (exchange.end('client_aborted', 'client_aborted')) deps.meter.finished(exchange);
    return undefined;
  }
  deps.log.error({ err, request_id: exchange.id }, 'unexpected error while handling an exchange');
  return new GatewayError('internal_error', 'Tollgate failed to handle this request.');
}
