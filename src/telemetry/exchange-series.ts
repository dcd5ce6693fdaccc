import type { Attributes } from '@opentelemetry/api';
import type { Exchange } from '../exchange.js';
import type { HistogramSeries } from './histogram-table.js';
import type { Metrics } from './metrics.js';
import type { SumSeries } from './sum-table.js';
import {
  Attr,
  GenAiAttr,
  GenAiTokenType,
  LabelValue,
  TOKEN_KINDS,
  type TokenKind,
} from './vocabulary.js';

/**
 * The series an exchange ends up in, for every instrument recorded once per exchange, found once
 * per combination of labels and kept. Why: recording an exchange would otherwise build a dozen
 * attribute objects and look each one up, instrument by instrument, while a gateway sees the
 * same few combinations of route, model, account and client over and over. The cache holds one
 * entry per combination that occurred, no more than the series those combinations export.
 */
export class ExchangeSeriesCache {
  private readonly byLabels = new Map<string, ExchangeSeries>();
  private readonly activeByRoute = new Map<string, SumSeries>();

  constructor(private readonly metrics: Metrics) {}

  /** The series of a finished exchange whose model is labelled `model`. */
  of(exchange: Exchange, model: string): ExchangeSeries {
    const key = keyOf(exchange, model);
    let series = this.byLabels.get(key);
    if (!series) {
      series = new ExchangeSeries(this.metrics, exchange, model);
      this.byLabels.set(key, series);
    }
    return series;
  }

  /** The `tollgate_requests_active` series of a route. */
  active(route: string): SumSeries {
    let series = this.activeByRoute.get(route);
    if (!series) {
      series = this.metrics.requestsActive.series({ [Attr.route]: route });
      this.activeByRoute.set(route, series);
    }
    return series;
  }
}

/** The same string for the same labels, NUL between them: no value can hold one (account and
 * client names are plain by the configuration's schema, models by ModelLabels, the rest are
 * Tollgate's own words), and \u0001 stands for a missing value. */
function keyOf(exchange: Exchange, model: string): string {
  return [
    exchange.route,
    model,
    exchange.account,
    exchange.client,
    exchange.outcome ?? '\u0001',
    exchange.statusLabel,
    exchange.imageOutcome ?? LabelValue.notImage,
    exchange.operation,
    exchange.provider,
    errorTypeOf(exchange) ?? '\u0001',
  ].join('\u0000');
}

/** `error.type` of a failed exchange; none for a success. */
function errorTypeOf(exchange: Exchange): string | undefined {
  if (exchange.outcome === 'success') return undefined;
  return exchange.errorType ?? exchange.outcome ?? 'unknown';
}

/** One combination's series, with the attributes each instrument is recorded under. */
export class ExchangeSeries {
  readonly requests: SumSeries;
  readonly duration: HistogramSeries;
  readonly timeToFirstToken: HistogramSeries;
  readonly tokens: Record<TokenKind, SumSeries>;
  readonly cost: SumSeries;
  /** GenAI semantic conventions: `gen_ai.client.token.usage` by token type, and the duration. */
  readonly genAiInput: HistogramSeries;
  readonly genAiOutput: HistogramSeries;
  readonly genAiDuration: HistogramSeries;

  constructor(metrics: Metrics, exchange: Exchange, model: string) {
    const who = {
      [Attr.route]: exchange.route,
      [Attr.model]: model,
      [Attr.account]: exchange.account,
      [Attr.client]: exchange.client,
    };
    this.requests = metrics.requests.series({
      ...who,
      [Attr.outcome]: exchange.outcome,
      [Attr.statusCode]: exchange.statusLabel,
    });
    this.duration = metrics.requestDuration.series({
      ...who,
      [Attr.outcome]: exchange.outcome,
      [Attr.imageOutcome]: exchange.imageOutcome ?? LabelValue.notImage,
    });
    this.timeToFirstToken = metrics.timeToFirstToken.series(who);
    this.tokens = Object.fromEntries(
      TOKEN_KINDS.map((kind) => [kind, metrics.tokens.series({ ...who, [Attr.tokenKind]: kind })]),
    ) as Record<TokenKind, SumSeries>;
    this.cost = metrics.costUsd.series({
      [Attr.model]: model,
      [Attr.account]: exchange.account,
      [Attr.client]: exchange.client,
    });

    const genAi: Attributes = {
      [GenAiAttr.operationName]: exchange.operation,
      [GenAiAttr.providerName]: exchange.provider,
      [GenAiAttr.requestModel]: model,
    };
    const tokenUsage = (type: string) =>
      metrics.genAiTokenUsage.series({ ...genAi, [GenAiAttr.tokenType]: type });
    this.genAiInput = tokenUsage(GenAiTokenType.input);
    this.genAiOutput = tokenUsage(GenAiTokenType.output);
    const errorType = errorTypeOf(exchange);
    this.genAiDuration = metrics.genAiOperationDuration.series(
      errorType === undefined ? genAi : { ...genAi, [GenAiAttr.errorType]: errorType },
    );
  }
}
