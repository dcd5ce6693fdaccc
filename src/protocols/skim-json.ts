import { LONG_STRING_BYTES, parseJson, SKIPPED_STRING } from './reader.js';

/** Below this many characters a JSON text is parsed as it is. */
const SMALL_TEXT = 64 * 1024;

const QUOTE = '"';
const BACKSLASH = 0x5c;

/**
 * Parses a JSON text that may carry megabytes of data metering does not need, such as the
 * base64 image a Responses `response.completed` event repeats in its `output`. Every string
 * value longer than 4,096 characters becomes `SKIPPED_STRING` first, so the parse allocates only the small
 * rest instead of a second copy of the image. The skipping jumps from quote to quote with
 * `indexOf`, which is native and fast over base64. Malformed JSON answers undefined.
 */
export function parseSkimmed(text: string): unknown {
  if (text.length <= SMALL_TEXT) return parseJson(text);
  const kept: string[] = [];
  let copiedFrom = 0;
  // Outside strings, the next quote always opens one.
  for (let open = text.indexOf(QUOTE); open !== -1;) {
    const close = closingQuote(text, open + 1);
    if (close === -1) break;
    if (close - open - 1 > LONG_STRING_BYTES) {
      kept.push(text.slice(copiedFrom, open + 1), SKIPPED_STRING);
      copiedFrom = close;
    }
    open = text.indexOf(QUOTE, close + 1);
  }
  kept.push(text.slice(copiedFrom));
  return parseJson(kept.join(''));
}

/** The quote that ends the string whose content starts at `from`: one not escaped, i.e. after
 * an even number of backslashes. -1 when the string never ends. */
function closingQuote(text: string, from: number): number {
  for (
    let quote = text.indexOf(QUOTE, from);
    quote !== -1;
    quote = text.indexOf(QUOTE, quote + 1)
  ) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
  return -1;
}
