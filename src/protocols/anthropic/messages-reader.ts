import type { Exchange, ProtocolEnding } from '../../exchange.js';
import { field, tokenCount } from '../../usage.js';
import {
  ERROR_BODY_FIELDS,
  isErrorBody,
  parseJson,
  sniffType,
  type UsageReader,
} from '../reader.js';

/** Anthropic's documented error types: anything else in an `error` event is labelled as a
 * generic error event, so a provider's new wording cannot grow the `error.type` label. */
const ERROR_TYPES = new Set([
  'invalid_request_error',
  'authentication_error',
  'billing_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'api_error',
  'timeout_error',
  'overloaded_error',
]);

/** What a JSON answer is read for; its `content`, the bulk of it, is not. */
const BODY_FIELDS: ReadonlySet<string> = new Set([...ERROR_BODY_FIELDS, 'id', 'model', 'usage']);

/**
 * Meters `/v1/messages`. Streamed usage is cumulative: `message_start` states the prompt and
 * `message_delta` restates running totals, so the last output count wins and nothing is summed.
 * Prompt and cache counts keep the largest value seen, because some upstreams restate a cache
 * field as 0 in the final delta after a hit in `message_start`, and a hit cannot be undone.
 */
export class MessagesReader implements UsageReader {
  ending?: ProtocolEnding;
  errorType?: string;
  readonly hideLastEvent = false;
  readonly jsonFields = BODY_FIELDS;
  private input = 0;
  private cacheRead = 0;
  private cacheWrite = 0;

  constructor(private readonly exchange: Exchange) {}

  onEvent(eventName: string | undefined, data: string): void {
    const type = eventName ?? sniffType(data);
    if (type === undefined || this.ending) return;

    switch (type) {
      case 'content_block_delta':
        // Text, thinking and tool-input deltas all carry generated content; no need to parse.
        return this.exchange.markFirstToken();
      case 'message_start': {
        const message = field(parseJson(data), 'message');
        this.noteMessage(message);
        return this.readUsage(field(message, 'usage'));
      }
      case 'message_delta':
        return this.readUsage(field(parseJson(data), 'usage'));
      case 'message_stop':
        this.ending = 'success';
        return;
      case 'error':
        return this.fail(field(parseJson(data), 'error', 'type'));
    }
  }

  onJson(body: unknown): void {
    if (isErrorBody(body)) {
      this.ending = 'upstream_error';
      this.errorType = 'error_body';
      return;
    }
    this.ending = 'success';
    this.noteMessage(body);
    this.readUsage(field(body, 'usage'));
  }

  private noteMessage(message: unknown): void {
    const id = field(message, 'id');
    const model = field(message, 'model');
    if (typeof id === 'string') this.exchange.responseId = id;
    if (typeof model === 'string') this.exchange.responseModel = model;
  }

  private fail(type: unknown): void {
    this.ending = 'upstream_error';
    this.errorType = typeof type === 'string' && ERROR_TYPES.has(type) ? type : 'error_event';
  }

  private readUsage(reported: unknown): void {
    if (!reported || typeof reported !== 'object') return;
    this.input = Math.max(this.input, tokenCount(field(reported, 'input_tokens')));
    this.cacheRead = Math.max(
      this.cacheRead,
      tokenCount(field(reported, 'cache_read_input_tokens')),
    );
    this.cacheWrite = Math.max(
      this.cacheWrite,
      tokenCount(field(reported, 'cache_creation_input_tokens')),
    );
    const usage = this.exchange.usage;
    if (field(reported, 'output_tokens') !== undefined) {
      usage.host_out = tokenCount(field(reported, 'output_tokens'));
    }
    // `input_tokens` excludes the cached prompt: the whole prompt is the sum of the three.
    usage.host_in = this.input + this.cacheRead + this.cacheWrite;
    usage.cache = this.cacheRead;
    usage.cache_write = this.cacheWrite;
  }
}
