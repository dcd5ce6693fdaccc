import type { SseMeter } from './sse-meter.js';
import type { UsageReader } from '../protocols/reader.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Cuts an uncompressed SSE byte stream into whole events, meters each one, and passes on every
 * event the reader does not ask to hide, byte for byte as the upstream framed it. Used only when
 * Tollgate changed the request and must take out what that change added to the answer.
 */
export class EventFilter {
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly meter: SseMeter,
    private readonly reader: UsageReader,
  ) {}

  /** Returns the bytes of the complete events in `chunk` that the client should get. */
  write(chunk: Buffer): Buffer | null {
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const kept: Buffer[] = [];
    let start = 0;
    for (let end = eventEnd(data, start); end > 0; end = eventEnd(data, start)) {
      const event = data.subarray(start, end);
      this.meter.feed(event.toString('utf8'));
      if (!this.reader.hideLastEvent) kept.push(event);
      start = end;
    }
    this.pending = data.subarray(start);
    return kept.length === 0 ? null : kept.length === 1 ? kept[0] : Buffer.concat(kept);
  }

  /** What is left when the stream ends (an unterminated last event) goes out unchanged. */
  end(): Buffer | null {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    if (rest.length > 0) this.meter.feed(rest.toString('utf8'));
    // Always ended: the last event's final CR is only known to be a line break now.
    this.meter.end();
    return rest.length === 0 ? null : rest;
  }
}

/** Index just past the blank line that ends the first event at or after `from`, or -1. An event
 * ends at two line breaks in a row, each of them LF, CRLF or CR. */
function eventEnd(data: Buffer, from: number): number {
  for (let i = from; i < data.length; i++) {
    const byte = data[i];
    if (byte === LF) {
      if (data[i + 1] === LF) return i + 2;
      if (data[i + 1] === CR && data[i + 2] === LF) return i + 3;
    } else if (byte === CR && data[i + 1] === CR) {
      return i + 2;
    }
  }
  return -1;
}
