import type { Attributes } from '@opentelemetry/api';
import type { Exchange } from './exchange.js';
import type { Logger } from './log.js';
import type { CostEstimator } from './pricing/cost.js';
import type { UsageStore } from './store/usage-store.js';
import type { Metrics } from './telemetry/metrics.js';
import type { ModelLabels } from './telemetry/model-labels.js';
import {
  Attr,
  GenAiAttr,
  GenAiTokenType,
  LabelValue,
  TOKEN_KINDS,
} from './telemetry/vocabulary.js';

/**
 * Turns a finished exchange into telemetry: metrics, its estimated cost, the exchange's log line
 * and the usage store. Called exactly once per exchange; it never throws, because a metering bug
 * must not reach a client.
 */
export class Meter {
  private store?: UsageStore;

  constructor(
    private readonly metrics: Metrics,
    private readonly models: ModelLabels,
    private readonly log: Logger,
    private readonly costs?: CostEstimator,
  ) {}

  /** The usage store, once it is open (it opens asynchronously, before the gateway listens). */
  useStore(store: UsageStore | undefined): void {
    this.store = store;
  }

  /** An exchange has started: it shows in `tollgate_requests_active` until it ends. */
  started(exchange: Exchange): void {
    this.metrics.requestsActive.add(1, { [Attr.route]: exchange.route });
  }

  /** The route became known after `started` (routing runs after the request arrived). */
  rerouted(exchange: Exchange, from: string): void {
    if (from === exchange.route) return;
    this.metrics.requestsActive.add(-1, { [Attr.route]: from });
    this.metrics.requestsActive.add(1, { [Attr.route]: exchange.route });
  }

  attempt(account: string, status: number | undefined): void {
    const code = status === undefined ? LabelValue.noStatus : String(status);
    this.metrics.upstreamAttempts.add(1, { [Attr.account]: account, [Attr.statusCode]: code });
  }

  finished(exchange: Exchange): void {
    try {
      this.metrics.requestsActive.add(-1, { [Attr.route]: exchange.route });
      const model = this.models.label(exchange.model);
      this.recordMetrics(exchange, model);
      const cost = this.recordCost(exchange, model);
      exchange.trace?.finish(exchange);
      this.writeLogLine(exchange, model);
      this.store?.record(exchange, cost);
    } catch (err) {
      this.log.error({ err, request_id: exchange.id }, 'metering failed');
    }
  }

  /** The exchange's estimated USD, counted in `tollgate_cost_usd_total` when above 0. */
  private recordCost(exchange: Exchange, model: string): number {
    if (!exchange.metered || !this.costs) return 0;
    const cost = this.costs.cost(exchange.model, exchange.usage);
    if (cost > 0) {
      this.metrics.costUsd.add(cost, {
        [Attr.model]: model,
        [Attr.account]: exchange.account,
        [Attr.client]: exchange.client,
      });
    }
    return cost;
  }

  private recordMetrics(exchange: Exchange, model: string): void {
    const m = this.metrics;
    const who = {
      [Attr.route]: exchange.route,
      [Attr.model]: model,
      [Attr.account]: exchange.account,
      [Attr.client]: exchange.client,
    };
    m.requests.add(1, {
      ...who,
      [Attr.outcome]: exchange.outcome,
      [Attr.statusCode]: exchange.statusLabel,
    });
    if (!exchange.metered) return;

    // Durations and tokens.
    const imageOutcome = exchange.imageOutcome ?? LabelValue.notImage;
    const duration = exchange.durationSeconds;
    m.requestDuration.record(duration, {
      ...who,
      [Attr.outcome]: exchange.outcome,
      [Attr.imageOutcome]: imageOutcome,
    });
    const ttft = exchange.timeToFirstTokenSeconds;
    if (exchange.stream && ttft !== undefined) m.timeToFirstToken.record(ttft, who);
    for (const kind of TOKEN_KINDS) {
      const count = exchange.usage[kind];
      if (count > 0) m.tokens.add(count, { ...who, [Attr.tokenKind]: kind });
    }

    // Image requests.
    if (exchange.imageOutcome) {
      m.imageRequests.add(1, {
        [Attr.model]: model,
        [Attr.account]: exchange.account,
        [Attr.client]: exchange.client,
        [Attr.imageOutcome]: exchange.imageOutcome,
        [Attr.reason]: exchange.imageReason,
      });
    }

    this.recordGenAi(exchange, model, duration);
  }

  /** The semantic-convention view of the same exchange, for tools built on GenAI conventions. */
  private recordGenAi(exchange: Exchange, model: string, duration: number): void {
    const genAi: Attributes = {
      [GenAiAttr.operationName]: exchange.operation,
      [GenAiAttr.providerName]: exchange.provider,
      [GenAiAttr.requestModel]: model,
    };
    const usage = exchange.usage;
    if (exchange.outcome === 'success' || usage.host_in + usage.host_out > 0) {
      const input = { ...genAi, [GenAiAttr.tokenType]: GenAiTokenType.input };
      const output = { ...genAi, [GenAiAttr.tokenType]: GenAiTokenType.output };
      this.metrics.genAiTokenUsage.record(usage.host_in, input);
      this.metrics.genAiTokenUsage.record(usage.host_out, output);
    }
    const failed = exchange.outcome !== 'success';
    const errorType = exchange.errorType ?? exchange.outcome ?? 'unknown';
    this.metrics.genAiOperationDuration.record(
      duration,
      failed ? { ...genAi, [GenAiAttr.errorType]: errorType } : genAi,
    );
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
