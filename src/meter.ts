import type { Exchange } from './exchange.js';
import type { Logger } from './log.js';
import type { CostEstimator } from './pricing/cost.js';
import type { UsageStore } from './store/usage-store.js';
import { ExchangeSeriesCache, type ExchangeSeries } from './telemetry/exchange-series.js';
import type { Metrics } from './telemetry/metrics.js';
import type { ModelLabels } from './telemetry/model-labels.js';
import { Attr, LabelValue, TOKEN_KINDS } from './telemetry/vocabulary.js';

/**
 * Turns a finished exchange into telemetry: metrics, its estimated cost, the exchange's log line
 * and the usage store. Called exactly once per exchange; it never throws, because a metering bug
 * must not reach a client.
 */
export class Meter {
  private store?: UsageStore;
  private readonly series: ExchangeSeriesCache;

  constructor(
    private readonly metrics: Metrics,
    private readonly models: ModelLabels,
    private readonly log: Logger,
    private readonly costs?: CostEstimator,
  ) {
    this.series = new ExchangeSeriesCache(metrics);
  }

  /** The usage store, once it is open (it opens asynchronously, before the gateway listens). */
  useStore(store: UsageStore | undefined): void {
    this.store = store;
  }

  /** An exchange has started: it shows in `tollgate_requests_active` until it ends. */
  started(exchange: Exchange): void {
    this.series.active(exchange.route).add(1);
  }

  /** The route became known after `started` (routing runs after the request arrived). */
  rerouted(exchange: Exchange, from: string): void {
    if (from === exchange.route) return;
    this.series.active(from).add(-1);
    this.series.active(exchange.route).add(1);
  }

  attempt(account: string, status: number | undefined): void {
    const code = status === undefined ? LabelValue.noStatus : String(status);
    this.metrics.upstreamAttempts.add(1, { [Attr.account]: account, [Attr.statusCode]: code });
  }

  finished(exchange: Exchange): void {
    try {
      this.series.active(exchange.route).add(-1);
      const model = this.models.label(exchange.model);
      const series = this.series.of(exchange, model);
      this.recordMetrics(exchange, model, series);
      const cost = this.recordCost(exchange, series);
      exchange.trace?.finish(exchange);
      this.writeLogLine(exchange, model);
      this.store?.record(exchange, cost);
    } catch (err) {
      this.log.error({ err, request_id: exchange.id }, 'metering failed');
    }
  }

  /** The exchange's estimated USD, counted in `tollgate_cost_usd_total` when above 0. */
  private recordCost(exchange: Exchange, series: ExchangeSeries): number {
    if (!exchange.metered || !this.costs) return 0;
    const cost = this.costs.cost(exchange.model, exchange.usage);
    if (cost > 0) series.cost.add(cost);
    return cost;
  }

  private recordMetrics(exchange: Exchange, model: string, series: ExchangeSeries): void {
    series.requests.add(1);
    if (!exchange.metered) return;

    // Durations and tokens.
    const duration = exchange.durationSeconds;
    series.duration.record(duration);
    const ttft = exchange.timeToFirstTokenSeconds;
    if (exchange.stream && ttft !== undefined) series.timeToFirstToken.record(ttft);
    const usage = exchange.usage;
    for (const kind of TOKEN_KINDS) {
      if (usage[kind] > 0) series.tokens[kind].add(usage[kind]);
    }

    // Image requests: rare enough to be looked up each time.
    if (exchange.imageOutcome) {
      this.metrics.imageRequests.add(1, {
        [Attr.model]: model,
        [Attr.account]: exchange.account,
        [Attr.client]: exchange.client,
        [Attr.imageOutcome]: exchange.imageOutcome,
        [Attr.reason]: exchange.imageReason,
      });
    }

    // The GenAI semantic conventions' view of the same exchange, for tools built on them.
    if (exchange.outcome === 'success' || usage.host_in + usage.host_out > 0) {
      series.genAiInput.record(usage.host_in);
      series.genAiOutput.record(usage.host_out);
    }
    series.genAiDuration.record(duration);
  }

  private writeLogLine(exchange: Exchange, model: string): void {
    // Below `info` the line is dropped anyway; skip building it on every exchange.
    if (!this.log.isLevelEnabled('info')) return;
    const ttft = exchange.timeToFirstTokenSeconds;
    this.log.info(
      {
        request_id: exchange.id,
        upstream_request_id: exchange.upstreamRequestId,
        trace_id: exchange.trace?.traceId,
        route: exchange.route,
        model,
        account: exchange.account,
        client: exchange.client,
        status: exchange.statusLabel,
        outcome: exchange.outcome,
        error_type: exchange.errorType,
        attempts: exchange.attempts.length,
        stream: exchange.stream,
        duration_ms: round(exchange.durationSeconds * 1000),
        ttft_ms: ttft === undefined ? undefined : round(ttft * 1000),
        tokens: exchange.metered ? exchange.usage : undefined,
        image_outcome: exchange.imageOutcome,
        image_reason: exchange.imageReason,
      },
      'exchange',
    );
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
