import type { UsageReader } from '../protocols/reader.js';
import { SkimmedEvent, skimmedIfLarge } from './skimmed-event.js';
import { readFields } from './sse-fields.js';
import { MAX_EVENT_BYTES, SseFramer } from './sse-framer.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Feeds the decoded bytes of an SSE answer to a usage reader, event by event. Events are framed
 * on the bytes; a large one is skimmed (see `UsageReader.onEvent`) as it arrives, and only the
 * data lines of what is left become text. A 4 MB image event is never held whole and never
 * turns into a string. SSE parsing libraries work on decoded text, which is exactly the cost
 * this avoids; hence the framing here.
 */
export class SseMeter {
  private readonly framer = new SseFramer(new SkimmedEvent());
  private broken = false;
  /** The stream's first event may open with a byte order mark, which is no part of it. */
  private first = true;

  constructor(private readonly reader: UsageReader) {}

  write(chunk: Buffer): void {
    if (this.broken) return;
    for (const event of this.framer.push(chunk)) this.read(event);
    if (this.framer.held > MAX_EVENT_BYTES) this.stop();
  }

  /** Feeds one complete raw event; used when the caller frames events itself. */
  feed(event: Buffer): void {
    if (this.broken) return;
    if (event.length > MAX_EVENT_BYTES) return this.stop();
    this.read(skimmedIfLarge(event));
  }

  /** At the end a last CR is known to be a line break, and the event it ends (often the
   * terminal one) complete. A last event that never got its blank line is dropped. */
  end(): void {
    if (!this.broken) for (const event of this.framer.end()) this.read(event);
  }

  /** Reads an event already skimmed if it was large. */
  private read(event: Buffer): void {
    if (this.broken) return;
    const bom = this.first && event.subarray(0, BOM.length).equals(BOM);
    this.first = false;

    // An event without a data line has nothing to meter; an empty data line is still data.
    const fields = readFields(event, bom ? BOM.length : 0);
    if (fields.data.length === 0) return;
    const lines = fields.data;
    const data =
      lines.length === 1
        ? event.toString('utf8', lines[0][0], lines[0][1])
        : lines.map(([start, end]) => event.toString('utf8', start, end)).join('\n');
    try {
      this.reader.onEvent(fields.type, data);
    } catch {
      this.broken = true;
    }
  }

  private stop(): void {
    this.broken = true;
    this.framer.release();
  }
}
