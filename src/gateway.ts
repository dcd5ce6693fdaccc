import { once } from 'node:events';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import type { DestinationStream } from 'pino';
import { AccountPool } from './accounts/pool.js';
import { ClientAuth } from './clients.js';
import type { Config } from './config/schema.js';
import { GatewayError, openAiErrorBody } from './errors.js';
import { Exchange } from './exchange.js';
import { exchangeHandler, type HandlerDeps } from './exchange-handler.js';
import { createLogger, type Logger } from './log.js';
import { Meter } from './meter.js';
import { OPENAI_ROUTES, PASS_THROUGH_ROUTE } from './routes.js';
import { Metrics } from './telemetry/metrics.js';
import { ModelLabels } from './telemetry/model-labels.js';
import { LabelValue } from './telemetry/vocabulary.js';
import { Forwarder } from './upstream/forward.js';
import { UpstreamSelector } from './upstream/select.js';

export interface GatewayOptions {
  /** Where log lines go; stdout when absent. */
  logDestination?: DestinationStream;
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
  private readonly app = new Koa();
  private server?: Server;

  constructor(
    readonly config: Config,
    options: GatewayOptions = {},
  ) {
    this.log = createLogger(config.log.level, options.logDestination);
    this.pool = new AccountPool(config);
    this.metrics = new Metrics(this.pool);
    const models = new ModelLabels(config.metrics.model_labels, config.metrics.max_models);
    this.meter = new Meter(this.metrics, models, this.log);
    const fail = this.fail.bind(this);
    this.forwarder = new Forwarder(config, this.pool, this.meter, this.log, fail);
    this.buildApp({
      config,
      auth: new ClientAuth(config.clients),
      meter: this.meter,
      log: this.log,
      selector: new UpstreamSelector(config),
      forwarder: this.forwarder,
      fail,
    });
  }

  /** Starts listening; resolves with the base URL once the port is bound. */
  async listen(): Promise<string> {
    const { host, port } = this.config.listen;
    this.server = this.app.listen(port, host);
    await once(this.server, 'listening');
    const url = this.url;
    this.log.info(
      { url, upstreams: this.config.upstreams.map((u) => u.name) },
      'tollgate listening',
    );
    return url;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('the gateway is not listening');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    if (this.server) {
      const closed = once(this.server, 'close');
      this.server.close();
      this.server.closeAllConnections();
      await closed;
    }
    await this.forwarder.close();
    await this.metrics.shutdown();
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
    router.get(this.config.metrics.path, (ctx) => {
      ctx.respond = false;
      this.metrics.scrape(ctx.req, ctx.res);
    });
    for (const route of OPENAI_ROUTES) {
      const handler = exchangeHandler(route, deps);
      if (route.method === 'GET') router.get(route.template, handler);
      else router.post(route.template, handler);
    }
    router.all('/v1/{*rest}', exchangeHandler(PASS_THROUGH_ROUTE, deps));

    this.app.use(router.routes());
    this.app.use((ctx) => {
      ctx.respond = false;
      this.unknownRoute(ctx.res, ctx.method, ctx.path);
    });
  }

  /** Any path outside the routes above: refused in the OpenAI shape and counted as rejected. */
  private unknownRoute(res: ServerResponse, method: string, path: string): void {
    const exchange = new Exchange(undefined);
    exchange.route = LabelValue.unmatchedRoute;
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
      const body = JSON.stringify(openAiErrorBody(error));
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
