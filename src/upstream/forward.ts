import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { request, type Dispatcher } from 'undici';
import type { Account } from '../accounts/account.js';
import type { AccountPool } from '../accounts/pool.js';
import type { Config, UpstreamConfig } from '../config/schema.js';
import type { Exchange } from '../exchange.js';
import { SpanEvent, type Outcome } from '../telemetry/vocabulary.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Meter } from '../meter.js';
import type { UsageReader } from '../protocols/reader.js';
import { ResponseTap } from '../tap/response-tap.js';
import { classifyAttemptError, isRetryableStatus, streamErrorType } from './attempt-error.js';
import { ClientGone } from './client-gone.js';
import { clientHeaders, upstreamHeaders } from './headers.js';
import { upstreamDispatcher } from './dispatcher.js';
import { relayBody } from './relay.js';

/** What to send upstream for one exchange, prepared by the protocol. */
export interface ForwardPlan {
  upstream: UpstreamConfig;
  method: string;
  /** The path after the version prefix, with its query string: appended to `base_url`. */
  path: string;
  clientHeaders: IncomingHttpHeaders;
  /** The header(s) that carry an account's key, in the upstream's protocol. */
  credential(apiKey: string): Record<string, string>;
  body: Buffer | undefined;
  /** Null for pass-through routes, which are counted but not metered. */
  reader: UsageReader | null;
  /** The reader may hide events; the answer is then asked for uncompressed so it can be cut. */
  hideEvents: boolean;
}

type Answer = Dispatcher.ResponseData;

/** Answers the client with one of Tollgate's own errors and settles the exchange. */
export type FailFn = (
  res: ServerResponse,
  exchange: Exchange,
  error: GatewayError,
  errorType?: string,
) => void;

/** An error answer held back while another account is tried; passed on if none does better. */
interface HeldAnswer {
  account: Account;
  statusCode: number;
  headers: Answer['headers'];
  body: Buffer;
}

/** The status label of an attempt cancelled because the client left. */
const CLIENT_CLOSED = 499;

/** Error bodies up to this size are kept for passing on after a failed retry. */
const MAX_HELD_BODY = 1024 * 1024;

/**
 * Sends an exchange upstream and relays the answer. Attempts go to one account after another
 * while nothing has been written to the client, so a retry never mixes two answers; the first
 * answer Tollgate will pass on is streamed through the tap, and the exchange is settled once.
 */
export class Forwarder {
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly config: Config,
    private readonly pool: AccountPool,
    private readonly meter: Meter,
    private readonly log: Logger,
    private readonly fail: FailFn,
    env: Record<string, string | undefined> = process.env,
  ) {
    this.dispatcher = upstreamDispatcher(config.timeouts, env);
  }

  async forward(res: ServerResponse, exchange: Exchange, plan: ForwardPlan): Promise<void> {
    const gone = new ClientGone();
    const onClose = () => res.writableFinished || gone.abort();
    res.once('close', onClose);
    // A client that hung up while its request was being read will send no 'close' any more.
    if (res.destroyed) gone.abort();
    try {
      await this.run(res, exchange, plan, gone);
    } finally {
      res.off('close', onClose);
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async run(
    res: ServerResponse,
    exchange: Exchange,
    plan: ForwardPlan,
    signal: ClientGone,
  ): Promise<void> {
    const tried = new Set<Account>();
    let held: HeldAnswer | undefined;
    let failure: AttemptFailure | undefined;

    for (let n = 1; n <= this.config.retry.max_attempts; n++) {
      // Step 1: the next account, or stop when none is left.
      const account = this.pool.pick(plan.upstream.name, tried);
      if (!account) break;
      tried.add(account);

      // Step 2: one attempt; a client that left meanwhile ends everything.
      const answer = await this.attempt(account, exchange, plan, signal);
      if (signal.aborted) return this.abandon(exchange, account, answer);
      if (!('statusCode' in answer)) {
        failure = answer;
        continue;
      }

      // Step 3: an answer worth retrying is held back while another account may do better.
      const canRetry =
        n < this.config.retry.max_attempts && this.pool.hasCandidate(plan.upstream.name, tried);
      if (!isRetryableStatus(answer.statusCode) || !canRetry) {
        return this.relay(res, exchange, plan, account, answer);
      }
      // An error body that cannot be kept leaves the previous held answer as the last one.
      held = (await this.holdBack(account, answer)) ?? held;
      const failedOver = { account: account.name, status: answer.statusCode };
      exchange.trace?.event(SpanEvent.failover, failedOver);
      this.log.warn({ request_id: exchange.id, ...failedOver }, 'retrying on another account');
    }

    // Step 4: no attempt gave an answer to stream.
    if (held) return this.relayHeld(res, exchange, held);
    if (failure) return this.fail(res, exchange, failure.error, failure.errorType);
    this.fail(res, exchange, noAccountError(plan.upstream.name));
  }

  /** One upstream request. Resolves with the answer's head, or with the failure when no answer
   * came; the account counts it as in flight until its body is done. */
  private async attempt(
    account: Account,
    exchange: Exchange,
    plan: ForwardPlan,
    signal: ClientGone,
  ): Promise<Answer | AttemptFailure> {
    exchange.account = account.name;
    const base = upstreamBase(plan.upstream.base_url);
    const headers = upstreamHeaders(plan.clientHeaders, account, {
      identity: plan.hideEvents,
      credential: plan.credential(account.apiKey),
    });
    // With tracing on, the attempt's own span context replaces the caller's `traceparent`.
    const trace = exchange.trace?.attemptStarted(exchange, account.name, base.url);
    if (trace) Object.assign(headers, trace);
    account.inFlight++;
    try {
      const answer = await request(base.text + plan.path, {
        method: plan.method as Dispatcher.HttpMethod,
        headers,
        body: plan.body,
        signal,
        dispatcher: this.dispatcher,
      });
      this.recordAttempt(exchange, account, answer.statusCode);
      exchange.trace?.attemptAnswered(answer.statusCode);
      this.noteAccountEvent(exchange, account, answer);
      answer.body.once('close', () => account.inFlight--);
      return answer;
    } catch (err) {
      account.inFlight--;
      // An attempt cancelled because the client left is no upstream failure: it is labelled
      // 499 like the exchange, so alerts on `status_code="error"` see only upstream trouble.
      this.recordAttempt(exchange, account, signal.aborted ? CLIENT_CLOSED : undefined);
      const failure = classifyAttemptError(err);
      exchange.trace?.attemptFailed(signal.aborted ? 'client_aborted' : failure.errorType);
      return failure;
    }
  }

  /** A 429 or a 401/403 changes the account's state: said in a log line and a span event. */
  private noteAccountEvent(exchange: Exchange, account: Account, answer: Answer): void {
    const event = this.pool.onStatus(account, answer.statusCode, answer.headers);
    if (!event) return;
    const what = { account: account.name, status: answer.statusCode };
    exchange.trace?.event(event === 'cooldown' ? SpanEvent.cooldown : SpanEvent.disabled, what);
    this.log.warn(what, `account ${event}`);
  }

  private recordAttempt(exchange: Exchange, account: Account, status: number | undefined): void {
    exchange.attempts.push({ account: account.name, status });
    this.meter.attempt(account.name, status);
  }

  /** Reads a small error answer so it can still be passed on if every other account fails. */
  private async holdBack(account: Account, answer: Answer): Promise<HeldAnswer | undefined> {
    const length = Number(answer.headers['content-length'] ?? 0);
    if (length > MAX_HELD_BODY) {
      await answer.body.dump();
      return undefined;
    }
    try {
      const body = Buffer.from(await answer.body.arrayBuffer());
      return { account, statusCode: answer.statusCode, headers: answer.headers, body };
    } catch {
      return undefined;
    }
  }

  /** Streams an answer to the client and settles the exchange from how the stream ended. */
  private async relay(
    res: ServerResponse,
    exchange: Exchange,
    plan: ForwardPlan,
    account: Account,
    answer: Answer,
  ): Promise<void> {
    const { statusCode, headers, body } = answer;
    const failed = statusCode >= 400;
    const tap =
      !failed && plan.reader ? new ResponseTap(headers, plan.reader, plan.hideEvents) : null;
    this.writeHead(res, exchange, account, statusCode, headers, plan.hideEvents);

    const end = await relayBody(body, res, tap);
    if (end.kind === 'end') {
      try {
        await this.complete(res, exchange, plan, statusCode, tap);
      } finally {
        res.uncork();
      }
      return;
    }

    plan.reader?.finish?.();
    const ending = plan.reader?.ending;
    body.destroy();
    if (end.kind === 'broken') {
      // The client must see that the answer was cut, not a clean end of stream.
      res.destroy();
      this.settle(
        exchange,
        failed ? 'upstream_error' : (ending ?? 'incomplete'),
        streamErrorType(end.error),
      );
    } else {
      this.settle(
        exchange,
        failed ? 'upstream_error' : (ending ?? 'client_aborted'),
        'client_aborted',
      );
    }
  }

  /** The answer arrived whole: meters it, settles the exchange, and only then ends the
   * response, so that a client that has read its answer finds it counted. */
  private async complete(
    res: ServerResponse,
    exchange: Exchange,
    plan: ForwardPlan,
    statusCode: number,
    tap: ResponseTap | null,
  ): Promise<void> {
    // A whole answer is metered to its last decoded byte before the reader is done with it.
    const { rest, metered } = tap ? tap.end() : { rest: null, metered: null };
    await metered;
    const reader = plan.reader;
    reader?.finish?.();
    if (statusCode >= 400) this.settle(exchange, 'upstream_error', String(statusCode));
    else if (!reader) this.settle(exchange, 'success');
    else
      this.settle(exchange, reader.ending ?? 'incomplete', reader.errorType ?? 'stream_truncated');
    res.end(rest ?? undefined);
  }

  /** Passes on an error answer that was read while another account was tried. */
  private relayHeld(res: ServerResponse, exchange: Exchange, held: HeldAnswer): void {
    exchange.account = held.account.name;
    this.writeHead(res, exchange, held.account, held.statusCode, held.headers, false);
    this.settle(exchange, 'upstream_error', String(held.statusCode));
    res.end(held.body);
  }

  private writeHead(
    res: ServerResponse,
    exchange: Exchange,
    account: Account,
    statusCode: number,
    headers: Answer['headers'],
    dropLength: boolean,
  ): void {
    exchange.account = account.name;
    // OpenAI names its id `x-request-id`, Anthropic `request-id`.
    const upstreamId = headers['x-request-id'] ?? headers['request-id'];
    if (typeof upstreamId === 'string') exchange.upstreamRequestId = upstreamId;
    exchange.statusCode = statusCode;
    res.writeHead(statusCode, clientHeaders(headers, exchange.id, { dropLength }));
  }

  /** The client left before any answer was passed on. */
  private abandon(exchange: Exchange, account: Account, answer: Answer | AttemptFailure): void {
    if ('statusCode' in answer) answer.body.destroy();
    exchange.account = account.name;
    this.settle(exchange, 'client_aborted', 'client_aborted');
  }

  private settle(exchange: Exchange, outcome: Outcome, errorType?: string): void {
    if (exchange.end(outcome, errorType)) this.meter.finished(exchange);
  }
}

interface AttemptFailure {
  errorType: string;
  error: GatewayError;
}

function noAccountError(upstream: string): GatewayError {
  return new GatewayError(
    'no_account_available',
    `No account of upstream "${upstream}" is available right now; retry later.`,
  );
}

/** An upstream's `base_url`, parsed once: the path after the version prefix goes after `text`,
 * so the host always comes from the config. */
interface UpstreamBase {
  text: string;
  url: URL;
}

const bases = new Map<string, UpstreamBase>();

function upstreamBase(baseUrl: string): UpstreamBase {
  let base = bases.get(baseUrl);
  if (!base) {
    const text = baseUrl.replace(/\/+$/, '');
    bases.set(baseUrl, (base = { text, url: new URL(text) }));
  }
  return base;
}
