import type { IncomingHttpHeaders } from 'node:http';
import type { UsageReader } from '../protocols/reader.js';
import { decodingSink, DecodingSink, type ByteSink } from './decoder.js';
import { EventFilter } from './event-filter.js';
import { JsonArrayMeter, type ElementReader } from './json-array-meter.js';
import { JsonMeter } from './json-meter.js';
import { SseMeter } from './sse-meter.js';

/**
 * Sits on an upstream answer on its way to the client. Every chunk goes to the client as it
 * arrived (or, when events must be hidden, as whole events in their original bytes) and a copy
 * is decoded and parsed on the side for metering.
 */
export class ResponseTap {
  private readonly sink: ByteSink | null;
  private readonly filter: EventFilter | null = null;

  constructor(headers: IncomingHttpHeaders, reader: UsageReader, hideEvents: boolean) {
    const contentType = String(headers['content-type'] ?? '').toLowerCase();
    const encoding = headers['content-encoding'] as string | undefined;
    const isSse = contentType.startsWith('text/event-stream');

    if (isSse && hideEvents && !encoding) {
      this.filter = new EventFilter(new SseMeter(reader), reader);
      this.sink = null;
    } else if (isSse) {
      this.sink = decodingSink(encoding, new SseMeter(reader));
    } else if (contentType.includes('json')) {
      this.sink = decodingSink(encoding, jsonMeter(reader));
    } else {
      this.sink = null;
    }
  }

  /** Returns what the client gets for this chunk: usually the chunk itself. */
  write(chunk: Buffer): Buffer | null {
    if (this.filter) return this.filter.write(chunk);
    this.sink?.write(chunk);
    return chunk;
  }

  /** Ends the answer. Returns the client's last bytes and a promise that settles once metering
   * has read everything (decoding is asynchronous). */
  end(): { rest: Buffer | null; metered: Promise<void> } {
    const rest = this.filter?.end() ?? null;
    this.sink?.end();
    const metered = this.sink instanceof DecodingSink ? this.sink.done : Promise.resolve();
    return { rest, metered };
  }
}

/** A reader that takes array elements one by one gets them as they arrive. */
function jsonMeter(reader: UsageReader): ByteSink {
  return reader.onJsonElement ? new JsonArrayMeter(reader as ElementReader) : new JsonMeter(reader);
}
