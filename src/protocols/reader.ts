import type { Exchange, ProtocolEnding } from '../exchange.js';
import { field } from '../usage.js';

/**
 * Reads a protocol's answer on the side, to meter it: SSE events one by one, or a whole JSON
 * body. It writes token counts and the first-token time into the exchange and remembers how the
 * answer ended as far as the protocol can tell. It must never throw: a metering problem is never
 * allowed to break a client's response.
 */
export interface UsageReader {
  /**
   * One SSE event: its `event:` field (if any) and its data. An event of more than 64 KiB
   * arrives skimmed: every JSON string value in it longer than 4,096 bytes is replaced by
   * `SKIPPED_STRING`, and all else is as sent. No usage field, id, model or type is anywhere
   * near that long, while a generated image is megabytes of base64 that would otherwise be held
   * and decoded into text only to be dropped. So a reader can tell that a long, non-empty string
   * is there (generated text, an image), never what it holds.
   */
  onEvent(type: string | undefined, data: string): void;
  /** A complete, non-streaming JSON answer. */
  onJson(body: unknown): void;
  /** The top-level fields `onJson` reads. When given, a JSON answer reaches `onJson` with only
   * these parsed and the rest stepped over (see json-fields.ts); without, it is parsed whole. */
  readonly jsonFields?: ReadonlySet<string>;
  /** One element of an answer streamed as a JSON array, as soon as it is complete; readers
   * without it get such an answer whole, through onJson. */
  onJsonElement?(element: unknown): void;
  /** The answer is over, whole or cut short: a reader that put work off does it now. */
  finish?(): void;
  /** The ending the protocol announced, once a terminal or error event has been read. */
  readonly ending?: ProtocolEnding;
  /** Error class for `error.type` when the protocol reported a failure. */
  readonly errorType?: string;
  /** True right after onEvent read an event that the client must not receive (an event that
   * exists only because Tollgate asked the upstream for it). */
  readonly hideLastEvent: boolean;
}

/** String values longer than this many bytes (of JSON) never reach a reader of a large event. */
export const LONG_STRING_BYTES = 4096;

/** What a skipped long string reads as: not empty, so a check for generated content still sees
 * that something was generated. */
export const SKIPPED_STRING = '…';

export type UsageReaderFactory = (exchange: Exchange) => UsageReader;

/** JSON.parse that answers undefined instead of throwing on a malformed event. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Events without an `event:` line still name their type first thing in the JSON. */
export function sniffType(data: string): string | undefined {
  return /^\s*\{\s*"type"\s*:\s*"([^"]+)"/.exec(data)?.[1];
}

/** The fields `isErrorBody` looks at, for a reader's `jsonFields`. */
export const ERROR_BODY_FIELDS = ['error', 'type'] as const;

/** An error in a provider's JSON shape (`{"error": {...}}`, or Anthropic's `"type": "error"`).
 * Some upstreams send one with status 200, even to a streaming request: it is no answer. A
 * Responses object carries `"error": null` when all went well. */
export function isErrorBody(body: unknown): boolean {
  const error = field(body, 'error');
  return (error !== undefined && error !== null) || field(body, 'type') === 'error';
}
