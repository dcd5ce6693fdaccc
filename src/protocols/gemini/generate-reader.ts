import type { Exchange, ProtocolEnding } from '../../exchange.js';
import { field, tokenCount } from '../../usage.js';
import { parseJson, type UsageReader } from '../reader.js';

/**
 * Meters `generateContent` and `streamGenerateContent`. Every chunk is a whole
 * GenerateContentResponse, whether it arrives as an SSE `data:` line (`alt=sse`), as an element
 * of the streamed JSON array, or as the one JSON body. `usageMetadata` is cumulative, so the
 * last chunk that carries it holds the final numbers. There is no terminal event: a chunk with a
 * `finishReason` (or a blocked prompt) is the last one of a complete answer.
 *
 * Every SSE chunk repeats `usageMetadata`, so parsing each one would cost a JSON parse per chunk
 * for numbers the next chunk replaces. Once the first token is timed, a chunk that can neither
 * end the answer nor report an error is only remembered when it carries usage, and the last one
 * remembered is parsed when the answer is over.
 */
export class GenerateReader implements UsageReader {
  ending?: ProtocolEnding;
  errorType?: string;
  readonly hideLastEvent = false;
  /** The latest chunk with usage that was passed over unparsed. */
  private unreadUsage?: string;

  constructor(private readonly exchange: Exchange) {}

  onEvent(_type: string | undefined, data: string): void {
    if (this.canPassOver(data)) {
      if (data.includes(USAGE_FIELD)) this.unreadUsage = data;
      return;
    }
    const chunk = parseJson(data);
    if (field(chunk, 'usageMetadata') !== undefined) this.unreadUsage = undefined;
    this.onJsonElement(chunk);
  }

  finish(): void {
    if (this.unreadUsage === undefined) return;
    this.readUsage(field(parseJson(this.unreadUsage), 'usageMetadata'));
    this.unreadUsage = undefined;
  }

  /** One element of the streamed JSON array. */
  onJsonElement(chunk: unknown): void {
    if (this.ending === 'upstream_error' || !chunk || typeof chunk !== 'object') return;
    if (field(chunk, 'error') !== undefined) {
      this.ending = 'upstream_error';
      this.errorType = 'error_event';
      return;
    }
    if (hasGeneratedContent(chunk)) this.exchange.markFirstToken();
    if (isLastChunk(chunk)) this.ending = 'success';
    this.readUsage(field(chunk, 'usageMetadata'));
    if (this.ending) this.noteResponse(chunk);
  }

  onJson(body: unknown): void {
    if (Array.isArray(body)) {
      for (const chunk of body) this.onJsonElement(chunk);
      return;
    }
    this.onJsonElement(body);
    if (!this.ending) this.ending = 'success';
  }

  private canPassOver(data: string): boolean {
    return this.exchange.firstTokenAt !== undefined && !this.ending && !MAY_END_OR_FAIL.test(data);
  }

  private readUsage(reported: unknown): void {
    if (!reported || typeof reported !== 'object') return;
    const usage = this.exchange.usage;
    const thoughts = tokenCount(field(reported, 'thoughtsTokenCount'));
    usage.host_in = tokenCount(field(reported, 'promptTokenCount'));
    usage.cache = tokenCount(field(reported, 'cachedContentTokenCount'));
    // `candidatesTokenCount` leaves thinking out; host output counts it, like other providers.
    usage.host_out = tokenCount(field(reported, 'candidatesTokenCount')) + thoughts;
    usage.reasoning = thoughts;
  }

  private noteResponse(chunk: unknown): void {
    const id = field(chunk, 'responseId');
    const model = field(chunk, 'modelVersion');
    if (typeof id === 'string') this.exchange.responseId = id;
    if (typeof model === 'string') this.exchange.responseModel = model;
  }
}

const USAGE_FIELD = '"usageMetadata"';

/** Fields whose presence makes a chunk worth parsing at once; a false alarm (the words inside
 * generated text) only costs that parse. */
const MAY_END_OR_FAIL = /"(?:finishReason|blockReason|error)"/;

function candidates(chunk: unknown): unknown[] {
  const list = field(chunk, 'candidates');
  return Array.isArray(list) ? list : [];
}

/** Any part of any candidate: text, a thought, a function call, inline image data. */
function hasGeneratedContent(chunk: unknown): boolean {
  return candidates(chunk).some((candidate) => {
    const parts = field(candidate, 'content', 'parts');
    return Array.isArray(parts) && parts.length > 0;
  });
}

function isLastChunk(chunk: unknown): boolean {
  if (field(chunk, 'promptFeedback', 'blockReason') !== undefined) return true;
  return candidates(chunk).some(
    (candidate) => typeof field(candidate, 'finishReason') === 'string',
  );
}
