import type { Exchange, ProtocolEnding } from '../../exchange.js';
import { field, tokenCount } from '../../usage.js';
import { ERROR_BODY_FIELDS, isErrorBody, parseJson, type UsageReader } from '../reader.js';

/**
 * A usage object or an error key somewhere in a chunk's text. Every chunk of a stream that asked
 * for usage carries `"usage":null`, so the key alone says nothing; one compiled scan for both
 * costs a fraction of parsing the chunk, or of searching the text three times.
 */
const MAY_MATTER = /"(?:usage"\s*:\s*\{|error"\s*:)/;

/**
 * What generated content looks like in a chunk's text: a content, reasoning or refusal string
 * that is not empty, or a tool call or audio. The role chunk that opens a stream has an empty
 * content and does not match; a chunk that matches is parsed to make sure.
 */
const MAY_GENERATE =
  /"(?:content|reasoning_content|refusal)"\s*:\s*"[^"]|"(?:tool_calls"\s*:\s*\[\s*\{|audio"\s*:\s*\{)/;

/** What a JSON answer is read for; its `choices`, the bulk of it, are not. */
const BODY_FIELDS: ReadonlySet<string> = new Set([...ERROR_BODY_FIELDS, 'id', 'model', 'usage']);

/**
 * Meters `/v1/chat/completions`. A stream carries usage only in a last chunk with empty
 * `choices`, and only when the request asked for it; when Tollgate added that request itself,
 * the chunk is hidden from the client, which never asked for it and may not expect it.
 */
export class ChatReader implements UsageReader {
  ending?: ProtocolEnding;
  errorType?: string;
  hideLastEvent = false;
  readonly jsonFields = BODY_FIELDS;

  constructor(
    private readonly exchange: Exchange,
    private readonly hideUsageChunk: boolean,
  ) {}

  onEvent(_type: string | undefined, data: string): void {
    this.hideLastEvent = false;
    if (this.ending) return;
    if (data === '[DONE]') {
      this.ending = 'success';
      return;
    }

    // Parse only chunks that can matter: the first with generated content, and those with
    // usage or an error.
    const mayStart = this.exchange.firstTokenAt === undefined && MAY_GENERATE.test(data);
    if (!mayStart && !MAY_MATTER.test(data)) return;
    const chunk = parseJson(data);

    if (field(chunk, 'error') !== undefined) return this.fail();
    if (hasGeneratedContent(chunk)) this.exchange.markFirstToken();
    this.noteResponse(chunk);
    this.readUsage(chunk);
  }

  onJson(body: unknown): void {
    if (isErrorBody(body)) {
      this.ending = 'upstream_error';
      this.errorType = 'error_body';
      return;
    }
    this.ending = 'success';
    this.noteResponse(body);
    this.readUsage(body);
  }

  /** Every chunk names the completion and the model that answered; the first one read says it. */
  private noteResponse(chunk: unknown): void {
    const id = field(chunk, 'id');
    const model = field(chunk, 'model');
    if (typeof id === 'string') this.exchange.responseId ??= id;
    if (typeof model === 'string') this.exchange.responseModel ??= model;
  }

  private fail(): void {
    this.ending = 'upstream_error';
    this.errorType = 'error_event';
  }

  private readUsage(chunk: unknown): void {
    const reported = field(chunk, 'usage');
    if (!reported || typeof reported !== 'object') return;
    const usage = this.exchange.usage;
    usage.host_in = tokenCount(field(reported, 'prompt_tokens'));
    usage.cache = tokenCount(field(reported, 'prompt_tokens_details', 'cached_tokens'));
    usage.host_out = tokenCount(field(reported, 'completion_tokens'));
    usage.reasoning = tokenCount(field(reported, 'completion_tokens_details', 'reasoning_tokens'));

    const choices = field(chunk, 'choices');
    this.hideLastEvent = this.hideUsageChunk && Array.isArray(choices) && choices.length === 0;
  }
}

const CONTENT_FIELDS = ['content', 'reasoning_content', 'refusal', 'tool_calls', 'audio'];

function hasGeneratedContent(chunk: unknown): boolean {
  const choices = field(chunk, 'choices');
  if (!Array.isArray(choices)) return false;
  return choices.some((choice) => {
    const delta = field(choice, 'delta');
    return CONTENT_FIELDS.some((name) => {
      const value = field(delta, name);
      return typeof value === 'string'
        ? value.length > 0
        : Array.isArray(value)
          ? value.length > 0
          : value != null && typeof value === 'object';
    });
  });
}
