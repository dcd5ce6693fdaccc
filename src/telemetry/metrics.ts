import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { AccountPool } from '../accounts/pool.js';
import { otlpMetricReader } from './otlp-metrics.js';
import { observeLimits } from './limit-gauges.js';
import { Attr, Buckets, Instrument } from './vocabulary.js';

/**
 * Tollgate's instruments, created once per process. Each is described by what it measures and
 * between which points; record sites get them from here and never create their own.
 */
export class Metrics {
  readonly provider: MeterProvider;
  private readonly exporter: PrometheusExporter;

  /** Exchanges, counted once when each ends. */
  readonly requests: Counter;
  /** Tokens of finished exchanges, by token kind. */
  readonly tokens: Counter;
  /** Image requests, counted once when each ends, by image outcome and reason. */
  readonly imageRequests: Counter;
  /** Estimated USD of finished exchanges, from their usage and the pricing table. */
  readonly costUsd: Counter;
  /** Seconds from the request's arrival to its ending (last byte sent, error, or abort). */
  readonly requestDuration: Histogram;
  /** Seconds from the request's arrival to the first event carrying generated content; streams only. */
  readonly timeToFirstToken: Histogram;
  /** Upstream HTTP requests, by account and the status they got (`error` for none). */
  readonly upstreamAttempts: Counter;
  /** Exchanges in progress, by route. */
  readonly requestsActive: UpDownCounter;
  /** GenAI semantic conventions: tokens per operation, by `gen_ai.token.type`. */
  readonly genAiTokenUsage: Histogram;
  /** GenAI semantic conventions: seconds per operation, from arrival to ending. */
  readonly genAiOperationDuration: Histogram;

  constructor(pool: AccountPool, env: Record<string, string | undefined> = process.env) {
    this.exporter = new PrometheusExporter({
      preventServerStart: true,
      withoutScopeInfo: true,
      withoutTargetInfo: true,
    });
    const otlp = otlpMetricReader(env);
    this.provider = new MeterProvider({ readers: otlp ? [this.exporter, otlp] : [this.exporter] });
    const meter = this.provider.getMeter('tollgate');

    this.requests = meter.createCounter(Instrument.requests, {
      description: 'Exchanges handled, counted once when each ends.',
      unit: '{request}',
    });
    this.tokens = meter.createCounter(Instrument.tokens, {
      description: 'Tokens metered from finished exchanges, by token kind (kinds overlap).',
      unit: '{token}',
    });
    this.imageRequests = meter.createCounter(Instrument.imageRequests, {
      description: 'Image requests, counted once when each ends, by image outcome and reason.',
      unit: '{request}',
    });
    this.costUsd = meter.createCounter(Instrument.costUsd, {
      description: 'Estimated cost of finished exchanges in USD, from list prices per token kind.',
      unit: '{USD}',
    });
    this.requestDuration = seconds(
      meter,
      Instrument.requestDuration,
      Buckets.durationSeconds,
      'Seconds from the arrival of a request to its ending.',
    );
    this.timeToFirstToken = seconds(
      meter,
      Instrument.timeToFirstToken,
      Buckets.timeToFirstTokenSeconds,
      'Seconds from the arrival of a streaming request to its first generated content.',
    );
    this.upstreamAttempts = meter.createCounter(Instrument.upstreamAttempts, {
      description: 'Upstream HTTP requests made, by account and status (`error` when none came).',
      unit: '{request}',
    });
    this.requestsActive = meter.createUpDownCounter(Instrument.requestsActive, {
      description: 'Exchanges in progress.',
      unit: '{request}',
    });
    this.genAiTokenUsage = meter.createHistogram(Instrument.genAiTokenUsage, {
      description: 'Number of input and output tokens used per operation.',
      unit: '{token}',
      advice: { explicitBucketBoundaries: [...Buckets.tokens] },
    });
    this.genAiOperationDuration = seconds(
      meter,
      Instrument.genAiOperationDuration,
      Buckets.durationSeconds,
      'GenAI operation duration.',
    );

    observeAccounts(meter, pool);
    observeLimits(meter, pool.limits);
  }

  /** Serves the Prometheus text format for a scrape. */
  scrape(req: IncomingMessage, res: ServerResponse): void {
    this.exporter.getMetricsRequestHandler(req, res);
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

function seconds(meter: Meter, name: string, buckets: readonly number[], description: string) {
  return meter.createHistogram(name, {
    description,
    unit: 's',
    advice: { explicitBucketBoundaries: [...buckets] },
  });
}

/** 1 while an account can take requests, 0 while it cools down or is disabled; read at scrape. */
function observeAccounts(meter: Meter, pool: AccountPool): void {
  const available = meter.createObservableGauge(Instrument.accountAvailable, {
    description: 'Whether an account can take requests now (1) or is cooling down or disabled (0).',
  });
  available.addCallback((result) => {
    const now = Date.now();
    for (const account of pool.all()) {
      result.observe(account.isAvailable(now) ? 1 : 0, { [Attr.account]: account.name });
    }
  });
}
