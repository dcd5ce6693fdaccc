import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { UsageReader } from '../protocols/reader.js';

/** The largest single event metering will hold (in characters). Bigger events still reach the
 * client untouched; metering just stops reading that stream. */
const MAX_EVENT_CHARS = 64 * 1024 * 1024;

/**
 * Feeds decoded bytes of an SSE answer to a usage reader, event by event. Chunks may split
 * events, lines and even UTF-8 characters anywhere; the decoder and the parser put them back.
 *
 * Known cost: every event becomes a string, so a multi-megabyte image event is decoded into
 * pieces and joined once (two short-lived copies) even when the reader looks only at its start;
 * at many images per second that garbage, not live data, drives peak memory. Framing events on
 * the bytes and decoding only what the reader asks for would fix it.
 */
export class SseMeter {
  private readonly text = new StringDecoder('utf8');
  private readonly parser: EventSourceParser;
  private broken = false;
  /** The last text fed ended in CR: the parser waits to see whether an LF follows. */
  private endsInCr = false;

  constructor(reader: UsageReader) {
    this.parser = createParser({
      onEvent: (event) => reader.onEvent(event.event, event.data),
      onError: () => {
        this.broken = true;
      },
      maxBufferSize: MAX_EVENT_CHARS,
    });
  }

  write(chunk: Buffer): void {
    if (!this.broken) this.feed(this.text.write(chunk));
  }

  /** Feeds one complete raw event; used when the caller frames events itself. */
  feed(text: string): void {
    if (this.broken || text.length === 0) return;
    try {
      this.endsInCr = text.charCodeAt(text.length - 1) === 0x0d;
      this.parser.feed(text);
    } catch {
      this.broken = true;
    }
  }

  /** A stream framed with bare CRs ends in one; at the end no LF can follow, so the CR is a
   * line break and the last event (often the terminal one) is complete. */
  end(): void {
    if (!this.broken) this.feed(this.text.end());
    if (this.endsInCr) this.feed('\n');
  }
}
