import { LONG_STRING_BYTES, SKIPPED_STRING } from '../protocols/reader.js';
import { LineBreaks } from './line-breaks.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const QUOTE_BYTE = Buffer.from('"');
const SKIPPED = Buffer.from(SKIPPED_STRING);

/**
 * Replaces every JSON string value longer than 4,096 bytes by `SKIPPED_STRING` in the raw bytes
 * of an SSE event, as they arrive, so that the megabytes of a generated image are dropped chunk
 * by chunk instead of being held until the event is complete. What it keeps is copied out of the
 * chunks, which can then go as soon as the client has them.
 *
 * A line break ends any string: JSON never holds a raw one, so a stray quote in a comment or an
 * `event:` line cannot shift what counts as a string in the data lines after it.
 */
export class Skimmer {
  private kept: Buffer[] = [];
  private inString = false;
  /** The content of the open string so far, while it is short enough to be kept. */
  private content: Buffer[] = [];
  private contentBytes = 0;
  /** The content so far ends in an odd run of backslashes: its next byte is escaped. */
  private escaping = false;

  write(piece: Buffer): void {
    const breaks = new LineBreaks(piece);
    for (let at = 0; at < piece.length;) {
      at = this.inString ? this.readString(piece, at, breaks) : this.keepUntilString(piece, at);
    }
  }

  /** Everything kept, joined; the skimmer is then ready for the next event. */
  take(): Buffer {
    if (this.inString) this.closeString();
    const skimmed = Buffer.concat(this.kept);
    this.kept = [];
    return skimmed;
  }

  /** Keeps bytes up to and including the quote that opens the next string. */
  private keepUntilString(piece: Buffer, from: number): number {
    const quote = piece.indexOf(QUOTE, from);
    const end = quote === -1 ? piece.length : quote + 1;
    this.kept.push(Buffer.from(piece.subarray(from, end)));
    this.inString = quote !== -1;
    return end;
  }

  /** Reads the open string's content up to its closing quote, a line break or the piece's
   * end, whichever comes first. */
  private readString(piece: Buffer, from: number, breaks: LineBreaks): number {
    const lineBreak = breaks.next(from);
    const limit = lineBreak === -1 ? piece.length : lineBreak;
    const quote = this.closingQuote(piece, from, limit);
    const end = quote === -1 ? limit : quote;
    this.addContent(piece, from, end);

    if (quote !== -1) {
      this.closeString();
      this.kept.push(QUOTE_BYTE);
      return quote + 1;
    }
    if (lineBreak !== -1) this.closeString();
    else this.escaping = endsEscaping(piece, from, end, this.escaping);
    return end;
  }

  /** The first quote in [from, limit) that is not escaped, i.e. after an even number of
   * backslashes, counting those that ended the content's previous piece. -1 if none. */
  private closingQuote(piece: Buffer, from: number, limit: number): number {
    for (let quote = piece.indexOf(QUOTE, from); quote !== -1 && quote < limit;) {
      if (!endsEscaping(piece, from, quote, this.escaping)) return quote;
      quote = piece.indexOf(QUOTE, quote + 1);
    }
    return -1;
  }

  private addContent(piece: Buffer, from: number, end: number): void {
    this.contentBytes += end - from;
    if (this.contentBytes > LONG_STRING_BYTES) this.content = [];
    else this.content.push(Buffer.from(piece.subarray(from, end)));
  }

  private closeString(): void {
    this.kept.push(...(this.contentBytes > LONG_STRING_BYTES ? [SKIPPED] : this.content));
    this.inString = false;
    this.content = [];
    this.contentBytes = 0;
    this.escaping = false;
  }
}

/** Whether the content ending at `end` (and starting at `from`, after content that left
 * `escaping`) ends in an odd run of backslashes. */
function endsEscaping(piece: Buffer, from: number, end: number, escaping: boolean): boolean {
  let run = 0;
  while (end - run > from && piece[end - run - 1] === BACKSLASH) run++;
  const odd = run % 2 === 1;
  return end - run === from ? odd !== escaping : odd;
}
