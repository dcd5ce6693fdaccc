import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter, Meter } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { AccountPool } from '../accounts/pool.js';
import { otlpMetricReader } from './otlp-metrics.js';
import { observeLimits } from './limit-gauges.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import type { HistogramTable } from './histogram-table.js';
import { HistogramTables } from './histogram-tables.js';
import { SumTable } from './sum-table.js';
import { Attr, Buckets, Instrument, RELOAD_RESULTS } from './vocabulary.js';

/**
 * Tollgate's instruments, created once per process. Each is described by what it measures and
 * between which points; record sites get them from here and never create their own.
 */
export class Metrics {
  readonly provider: MeterProvider;
  private readonly exporter: PrometheusExporter;
  private readonly runtime: RuntimeMetrics;

  /** Exchanges, counted once when each ends. */
  readonly requests: SumTable;
  /** Tokens of finished exchanges, by token kind. */
  readonly tokens: SumTable;
  /** Image requests, counted once when each ends, by image outcome and reason. */
  readonly imageRequests: SumTable;
  /** Estimated USD of finished exchanges, from their usage and the pricing table. */
  readonly costUsd: SumTable;
  /** Seconds from the request's arrival to its ending (last byte sent, error, or abort). */
  readonly requestDuration: HistogramTable;
  /** Seconds from the request's arrival to the first event carrying generated content; streams only. */
  readonly timeToFirstToken: HistogramTable;
  /** Upstream HTTP requests, by account and the status they got (`error` for none). */
  readonly upstreamAttempts: SumTable;
  /** Exchanges in progress, by route. */
  readonly requestsActive: SumTable;
  /** GenAI semantic conventions: tokens per operation, by `gen_ai.token.type`. */
  readonly genAiTokenUsage: HistogramTable;
  /** GenAI semantic conventions: seconds per operation, from arrival to ending. */
  readonly genAiOperationDuration: HistogramTable;
  /** Writes of the usage file that failed (each is retried; the changes stay in memory). */
  readonly storeFlushFailures: Counter;
  /** Configuration reloads (SIGHUP), by `result`: applied, or refused with the old one kept. */
  readonly configReloads: Counter;

  constructor(pool: AccountPool, env: Record<string, string | undefined> = process.env) {
    // Recorded on every exchange: kept as tallies, see HistogramTable.
    const histograms = new HistogramTables('tollgate');
    this.exporter = new PrometheusExporter({
      preventServerStart: true,
      withoutScopeInfo: true,
      withoutTargetInfo: true,
      metricProducers: [histograms],
    });
    const otlp = otlpMetricReader(env, [histograms]);
    this.provider = new MeterProvider({ readers: otlp ? [this.exporter, otlp] : [this.exporter] });
    const meter = this.provider.getMeter('tollgate');

    // Added to on every exchange: kept as sums, see SumTable.
    this.requests = new SumTable(meter, Instrument.requests, {
      description: 'Exchanges handled, counted once when each ends.',
      unit: '{request}',
    });
    this.tokens = new SumTable(meter, Instrument.tokens, {
      description: 'Tokens metered from finished exchanges, by token kind (kinds overlap).',
      unit: '{token}',
    });
    this.imageRequests = new SumTable(meter, Instrument.imageRequests, {
      description: 'Image requests, counted once when each ends, by image outcome and reason.',
      unit: '{request}',
    });
    this.costUsd = new SumTable(meter, Instrument.costUsd, {
      description: 'Estimated cost of finished exchanges in USD, from list prices per token kind.',
      unit: '{USD}',
    });
    this.requestDuration = seconds(
      histograms,
      Instrument.requestDuration,
      Buckets.durationSeconds,
      'Seconds from the arrival of a request to its ending.',
    );
    this.timeToFirstToken = seconds(
      histograms,
      Instrument.timeToFirstToken,
      Buckets.timeToFirstTokenSeconds,
      'Seconds from the arrival of a streaming request to its first generated content.',
    );
    this.upstreamAttempts = new SumTable(meter, Instrument.upstreamAttempts, {
      description: 'Upstream HTTP requests made, by account and status (`error` when none came).',
      unit: '{request}',
    });
    this.requestsActive = new SumTable(
      meter,
      Instrument.requestsActive,
      {
        description: 'Exchanges in progress.',
        unit: '{request}',
      },
      'upDownCounter',
    );
    this.genAiTokenUsage = histograms.create({
      name: Instrument.genAiTokenUsage,
      description: 'Number of input and output tokens used per operation.',
      unit: '{token}',
      boundaries: Buckets.tokens,
    });
    this.genAiOperationDuration = seconds(
      histograms,
      Instrument.genAiOperationDuration,
      Buckets.durationSeconds,
      'GenAI operation duration.',
    );

    this.storeFlushFailures = meter.createCounter(Instrument.storeFlushFailures, {
      description: 'Writes of the usage file that failed; each is retried later.',
      unit: '{write}',
    });
    this.configReloads = meter.createCounter(Instrument.configReloads, {
      description: 'Configuration reloads, by result (applied, or refused keeping the old one).',
      unit: '{reload}',
    });
    // Present at 0 from the start, so that an alert on their increase has a series to watch.
    this.storeFlushFailures.add(0);
    for (const result of RELOAD_RESULTS) this.configReloads.add(0, { [Attr.result]: result });
    this.runtime = new RuntimeMetrics(this.provider);

    observeAccounts(meter, pool);
    observeLimits(meter, pool.limits);
  }

  /** Serves the Prometheus text format for a scrape. */
  scrape(req: IncomingMessage, res: ServerResponse): void {
    this.exporter.getMetricsRequestHandler(req, res);
  }

  async shutdown(): Promise<void> {
    this.runtime.stop();
    await this.provider.shutdown();
  }
}

function seconds(
  histograms: HistogramTables,
  name: string,
  boundaries: readonly number[],
  description: string,
): HistogramTable {
  return histograms.create({ name, description, unit: 's', boundaries });
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
