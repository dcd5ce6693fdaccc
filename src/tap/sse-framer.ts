import { afterBreak, CR, LF, LineBreaks } from './line-breaks.js';

/** The largest single event metering will hold, in bytes. Bigger events still reach the client
 * untouched; metering just stops reading that stream. */
export const MAX_EVENT_BYTES = 64 * 1024 * 1024;

/** How a framer keeps the event still arriving, until it is complete. */
export interface PendingEvent {
  /** Bytes of the event received so far. */
  readonly size: number;
  add(piece: Buffer): void;
  /** The event as kept; the next one starts empty. */
  take(): Buffer;
}

/**
 * Keeps the event still arriving as it came. Its pieces are joined once, when it is complete:
 * joining on every chunk would copy a 4 MB image event arriving in 64 kB chunks some sixty
 * times over.
 */
export class RawEvent implements PendingEvent {
  private pieces: Buffer[] = [];
  size = 0;

  add(piece: Buffer): void {
    this.pieces.push(piece);
    this.size += piece.length;
  }

  /** A copy only when the event came in several pieces. */
  take(): Buffer {
    const event = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces, this.size);
    this.pieces = [];
    this.size = 0;
    return event;
  }
}

/**
 * Cuts an SSE byte stream into events, each up to and including the blank line that ends it:
 * two line breaks in a row, each an LF, a CRLF or a bare CR. Chunks may split an event, a line
 * or a CRLF anywhere; each chunk is scanned once, when it arrives.
 */
export class SseFramer {
  /** The bytes so far end where a line starts: a line break now is a blank line. */
  private atLineStart = true;
  /** The bytes so far end in a CR: an LF first thing in the next chunk belongs to it. */
  private afterCr = false;
  /** That CR ended the pending event, which is complete but for that possible LF. */
  private completeButLf = false;

  constructor(private readonly pending: PendingEvent = new RawEvent()) {}

  /** Bytes received of the event still arriving, however it is kept. */
  get held(): number {
    return this.pending.size;
  }

  /** The events `chunk` completes, in order, each as one Buffer. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length === 0) return [];
    const events: Buffer[] = [];
    let from = 0;

    // Whether a CR that ended the last chunk was a CRLF is known now.
    if (this.afterCr) {
      this.afterCr = false;
      if (chunk[0] === LF) from = 1;
      if (this.completeButLf) events.push(this.take(chunk.subarray(0, from)));
      this.completeButLf = false;
    }

    // Find the blank lines; an event starts right after each one.
    let start = events.length > 0 ? from : 0;
    const breaks = new LineBreaks(chunk);
    for (let at = breaks.next(from); at !== -1; at = breaks.next(from)) {
      const blank = this.atLineStart && at === from;
      this.atLineStart = true;
      if (chunk[at] === CR && at === chunk.length - 1) {
        this.afterCr = true;
        this.completeButLf = blank;
        from = chunk.length;
        break;
      }
      from = afterBreak(chunk, at);
      if (blank) {
        events.push(this.take(chunk.subarray(start, from)));
        start = from;
      }
    }
    if (from < chunk.length) this.atLineStart = false;
    this.hold(chunk.subarray(start));
    return events;
  }

  /** The stream has ended, so no LF can follow a last CR: an event it ended is complete. */
  end(): Buffer[] {
    const events = this.completeButLf ? [this.pending.take()] : [];
    this.afterCr = false;
    this.completeButLf = false;
    return events;
  }

  /** Gives up the pending event, whose end has not come (null if there is none). */
  release(): Buffer | null {
    return this.pending.size === 0 ? null : this.pending.take();
  }

  private hold(piece: Buffer): void {
    if (piece.length > 0) this.pending.add(piece);
  }

  /** The pending event, completed by `tail`. */
  private take(tail: Buffer): Buffer {
    this.hold(tail);
    return this.pending.take();
  }
}
