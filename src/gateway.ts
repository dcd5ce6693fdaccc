import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import type { DestinationStream } from 'pino';
import { AccountPool } from './accounts/pool.js';
import { prometheusTotals } from './admin/prometheus-summary.js';
import { adminRouter } from './admin/routes.js';
import { ClientAuth } from './clients.js';
import type { Config } from './config/schema.js';
import { GatewayError } from './errors.js';
import { Exchange } from './exchange.js';
import { InFlight } from './in-flight.js';
import { restartOnlyChanges, withRestartOnly } from './reload.js';
import { exchangeHandler, type HandlerDeps } from './exchange-handler.js';
import { createLogger, type Logger } from './log.js';
import { Meter } from './meter.js';
import { CostEstimator } from './pricing/cost.js';
import { loadPricingTable } from './pricing/table.js';
import { PROTOCOLS } from './protocols/index.js';
import { protocolOfPath, ROUTE_TABLE } from './routes.js';
import { ExchangeTrace } from './telemetry/exchange-trace.js';
import { Metrics } from './telemetry/metrics.js';
import { ModelLabels } from './telemetry/model-labels.js';
import { createTracing, type Tracing } from './telemetry/tracing.js';
import { LabelValue } from './telemetry/vocabulary.js';
import { Forwarder } from './upstream/forward.js';
import { UpstreamSelector } from './upstream/select.js';
import { openConfiguredStore } from './store/open-store.js';
import type { UsageStore } from './store/usage-store.js';
import { DirectRoutes, type InboundHandler } from './http/direct-routes.js';
import { metricsAccess } from './http/metrics-access.js';

/** Errors of a client's socket that say only that the client went away. */
const SOCKET_ERRORS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export interface GatewayOptions {
  /** Where log lines go; stdout when absent. */
  logDestination?: DestinationStream;
  /** The environment the OpenTelemetry `OTEL_*` variables are read from; process.env by default. */
  env?: Record<string, string | undefined>;
}

/**
 * One running Tollgate: the Koa app with its routes, the account pool, the forwarder and the
 * telemetry, listening on the configured address.
 */
export class Gateway {
  readonly log: Logger;
  readonly pool: AccountPool;
  readonly metrics: Metrics;
  private readonly meter: Meter;
  private readonly forwarder: Forwarder;
  private readonly costs: CostEstimator;
  private readonly deps: HandlerDeps;
  private current: Config;
  private inFlight?: InFlight;
  private readonly app = new Koa();
  private readonly direct = new DirectRoutes();
  private readonly tracing?: Tracing;
  private server?: Server;
  private closing?: Promise<void>;
  private usageStore?: UsageStore;

  constructor(config: Config, options: GatewayOptions = {}) {
    this.current = config;
    this.log = createLogger(config.log.level, options.logDestination);
    this.pool = new AccountPool(config);
    const env = options.env ?? process.env;
    this.metrics = new Metrics(this.pool, env);
    this.tracing = createTracing(env);
    const models = new ModelLabels(config.metrics.model_labels, config.metrics.max_models);
    this.costs = new CostEstimator(loadPricingTable(config.pricing.path), this.log);
    this.meter = new Meter(this.metrics, models, this.log, this.costs);
    const fail = this.fail.bind(this);
    this.forwarder = new Forwarder(config, this.pool, this.meter, this.log, fail, env);
    this.deps = {
      spans: this.tracing?.spans,
      config,
      auth: new ClientAuth(config.clients),
      meter: this.meter,
      log: this.log,
      selector: new UpstreamSelector(config),
      forwarder: this.forwarder,
      fail,
    };
    this.buildApp(this.deps);
  }

  /** The configuration in force: the one given at start, or the last reload applied. */
  get config(): Config {
    return this.current;
  }

  /**
   * Takes a new configuration while serving. Accounts, upstreams, clients and their keys,
   * pricing, limits and the shutdown grace apply to exchanges that start from now on; exchanges
   * in flight finish as they began, and every counter stays. Sections bound at start (listen,
   * storage, timeouts, retry, metrics, log, admin) keep their old values: their names are
   * returned so that the caller can say a restart is needed.
   */
  reload(next: Config): string[] {
    const ignored = restartOnlyChanges(this.current, next);
    const applied = withRestartOnly(this.current, next);
    const pricing = loadPricingTable(applied.pricing.path);
    this.pool.reload(applied);
    this.deps.auth.reload(applied.clients);
    this.deps.selector = new UpstreamSelector(applied);
    this.deps.config = applied;
    this.costs.useTable(pricing);
    this.current = applied;
    return ignored;
  }

  /** Opens the usage store, then starts listening; resolves with the base URL once the port is
   * bound. */
  async listen(): Promise<string> {
    this.usageStore = await openConfiguredStore(this.config, this.log, () =>
      this.metrics.storeFlushFailures.add(1),
    );
    this.meter.useStore(this.usageStore);
    const { host, port } = this.config.listen;
    const koa = this.app.callback();
    const onError = (err: unknown) => this.app.emit('error', err);
    this.server = createServer((req, res) => {
      if (!this.direct.dispatch(req, res, onError)) void koa(req, res);
    });
    this.server.listen(port, host);
    this.inFlight = new InFlight(this.server);
    await once(this.server, 'listening');
    const url = this.url;
    this.log.info(
      { url, upstreams: this.config.upstreams.map((u) => u.name) },
      'tollgate listening',
    );
    return url;
  }

  /** The usage store; undefined before `listen` and while storage is disabled. */
  get store(): UsageStore | undefined {
    return this.usageStore;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('the gateway is not listening');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /** Stops serving and flushes what is pending. New connections are refused at once; answers in
   * flight get up to `graceMs` to finish before they are cut. Safe to call more than once: a
   * later call with no grace cuts a running grace period short. */
  close(graceMs = 0): Promise<void> {
    if (this.closing) {
      if (graceMs === 0) this.inFlight?.hurry();
      return this.closing;
    }
    this.closing = this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    if (this.inFlight) {
      const waiting = this.inFlight.count;
      if (waiting > 0 && graceMs > 0) this.log.info({ in_flight: waiting }, 'draining');
      const cut = await this.inFlight.drain(graceMs);
      if (cut > 0) this.log.warn({ cut }, 'grace period over: answers in flight were cut');
    }
    await this.forwarder.close();
    // Every exchange has ended by now: the last write holds all of them.
    await this.usageStore?.close();
    await this.metrics.shutdown();
    await this.tracing?.shutdown();
  }

  private buildApp(deps: HandlerDeps): void {
    const router = new Router();
    router.get('/health', (ctx) => {
      ctx.body = {
        status: 'ok',
        accounts: this.pool.all().length,
        available: this.pool.availableCount(),
      };
    });
    // Readiness, unlike liveness: can this gateway serve an exchange right now?
    router.get('/ready', (ctx) => {
      const available = this.pool.availableCount();
      const ready = available > 0 && !this.inFlight?.isDraining;
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? 'ready' : 'unavailable', available };
    });
    router.get(this.config.metrics.path, metricsAccess(this.config.metrics.token), (ctx) => {
      ctx.respond = false;
      this.metrics.scrape(ctx.req, ctx.res);
    });
    for (const entry of ROUTE_TABLE) {
      const handler = exchangeHandler(entry.resolve, deps);
      this.direct.add(entry.method, entry.path, handler);
      const viaKoa = koaRoute(handler);
      if (entry.method === 'GET') router.get(entry.path, viaKoa);
      else if (entry.method === 'POST') router.post(entry.path, viaKoa);
      else router.all(entry.path, viaKoa);
    }

    const { source, prometheus_url: prometheusUrl } = this.config.summary;
    const admin = {
      pool: this.pool,
      store: () => this.usageStore,
      token: this.config.admin.token,
      fleetTotals:
        source === 'prometheus' && prometheusUrl ? prometheusTotals(prometheusUrl) : undefined,
    };
    this.app.use(adminRouter(admin).routes());
    this.app.use(router.routes());
    // Koa's default prints stack traces to stderr; a client that hangs up mid-answer is routine
    // for a gateway, so socket errors are a debug line and everything else a JSON error line.
    this.app.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code && SOCKET_ERRORS.has(err.code))
        this.log.debug({ code: err.code }, 'client socket');
      else this.log.error({ err }, 'unhandled error in the HTTP layer');
    });
    this.app.use((ctx) => {
      ctx.respond = false;
      this.unknownRoute(ctx.res, ctx.method, ctx.path);
    });
  }

  /** Any path outside the routes above: refused in the caller's protocol and counted as rejected. */
  private unknownRoute(res: ServerResponse, method: string, path: string): void {
    const exchange = new Exchange(undefined);
    exchange.route = LabelValue.unmatchedRoute;
    exchange.protocol = protocolOfPath(path, res.req.headers);
    if (this.tracing) exchange.trace = new ExchangeTrace(this.tracing.spans, res.req, path);
    this.meter.started(exchange);
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
    this.fail(
      res,
      exchange,
      new GatewayError('unknown_route', `Unknown route: ${method} ${shown}`),
    );
  }

  /** Answers with one of Tollgate's own errors and settles the exchange. */
  private fail(
    res: ServerResponse,
    exchange: Exchange,
    error: GatewayError,
    errorType?: string,
  ): void {
    const outcome = error.isRejection ? 'rejected' : 'unreachable';
    if (!res.headersSent && !res.destroyed) {
      const body = JSON.stringify(PROTOCOLS[exchange.protocol].errorBody(error));
      exchange.statusCode = error.status;
      res.writeHead(error.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-tollgate-request-id': exchange.id,
        // A refused upload may still be arriving: closing stops reading what nobody will use.
        ...(res.req.complete ? {} : { connection: 'close' }),
      });
      res.end(body);
    }
    if (exchange.end(outcome, errorType ?? error.code)) this.meter.finished(exchange);
  }
}

/** A protocol route's handler under Koa, which then leaves the response to it. */
function koaRoute(handler: InboundHandler) {
  return (ctx: Koa.Context) => {
    ctx.respond = false;
    const { req, res, method, path, querystring } = ctx;
    return handler({ req, res, method, path, querystring, params: ctx.params ?? {} });
  };
}
