import { randomUUID } from 'node:crypto';
import type { ExchangeTrace } from './telemetry/exchange-trace.js';
import type { ProtocolName } from './protocols/protocol.js';
import { emptyUsage, type Usage } from './usage.js';
import {
  LabelValue,
  type ImageOutcome,
  type ImageReason,
  type Outcome,
} from './telemetry/vocabulary.js';

/** One upstream HTTP request made for an exchange. */
export interface Attempt {
  account: string;
  /** The upstream's HTTP status, or undefined when no response came (connect error, timeout). */
  status?: number;
  errorType?: string;
}

/** How the protocol reader saw the answer end, before client and transport events are known. */
export type ProtocolEnding = 'success' | 'incomplete' | 'upstream_error';

/**
 * Everything about one client request, from arrival to its single ending: the route and what
 * the body asked for, who called, which accounts were tried, the timings, the usage and how it
 * ended. Protocol code fills in what it reads; the meter turns the finished exchange into
 * telemetry. Times are `performance.now()` milliseconds.
 */
export class Exchange {
  readonly id: string;
  readonly startedAt = performance.now();
  route: string = LabelValue.passThroughRoute;
  /** The model the client asked for, raw; the meter bounds it before it becomes a label. */
  model?: string;
  client: string = LabelValue.anonymousClient;
  account: string = LabelValue.noAccount;
  stream = false;
  imageRequest = false;
  /** Images API: a picture came back and the upstream reported no usage for it. */
  imageWithoutUsage = false;
  /** Exchanges on metered routes count tokens and durations; pass-through ones only requests. */
  metered = false;
  operation = 'chat';
  /** The protocol the client speaks: Tollgate's own errors answer in its shape. */
  protocol: ProtocolName = 'openai';
  provider = 'openai';
  upstreamRequestId?: string;
  /** The model and response id the upstream reported, when the protocol reader saw them. */
  responseModel?: string;
  responseId?: string;
  /** The status Tollgate sent to the client, once headers are written. */
  statusCode?: number;
  firstTokenAt?: number;
  endedAt?: number;
  readonly usage: Usage = emptyUsage();
  readonly attempts: Attempt[] = [];
  outcome?: Outcome;
  imageOutcome?: ImageOutcome;
  imageReason?: ImageReason;
  /** Error class for telemetry (`error.type`): a short code, never a message. */
  errorType?: string;
  /** The exchange's spans, when tracing is on. */
  trace?: ExchangeTrace;

  constructor(requestId: string | undefined) {
    this.id = requestId ?? randomUUID();
  }

  get finished(): boolean {
    return this.outcome !== undefined;
  }

  get durationSeconds(): number {
    return ((this.endedAt ?? performance.now()) - this.startedAt) / 1000;
  }

  get timeToFirstTokenSeconds(): number | undefined {
    return this.firstTokenAt === undefined
      ? undefined
      : (this.firstTokenAt - this.startedAt) / 1000;
  }

  markFirstToken(): void {
    this.firstTokenAt ??= performance.now();
  }

  /** Settles the ending once; later calls are ignored, so every path may call it safely. */
  end(outcome: Outcome, errorType?: string): boolean {
    if (this.finished) return false;
    this.outcome = outcome;
    this.endedAt = performance.now();
    if (errorType && outcome !== 'success') this.errorType = errorType;
    if (this.imageRequest) this.decideImageOutcome();
    return true;
  }

  /** The status-code label: what the client was sent, or 499 when it left before any. */
  get statusLabel(): string {
    return this.statusCode === undefined ? LabelValue.clientClosed : String(this.statusCode);
  }

  private decideImageOutcome(): void {
    const produced =
      this.outcome === 'success' && (this.usage.image_out > 0 || this.imageWithoutUsage);
    this.imageOutcome = produced ? 'success' : 'failed';
    if (this.route === '/v1/responses/compact') this.imageReason = 'compact_route';
    else if (produced) this.imageReason = 'completed';
    else if (this.outcome === 'success') this.imageReason = 'no_image_tokens';
    else this.imageReason = this.outcome;
  }
}
