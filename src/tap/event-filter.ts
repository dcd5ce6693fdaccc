import type { UsageReader } from '../protocols/reader.js';
import { MAX_EVENT_BYTES, SseFramer } from './sse-framer.js';
import type { SseMeter } from './sse-meter.js';

/**
 * Cuts an uncompressed SSE byte stream into whole events, meters each one, and passes on every
 * event the reader does not ask to hide, byte for byte as the upstream framed it. Used only when
 * Tollgate changed the request and must take out what that change added to the answer.
 */
export class EventFilter {
  private readonly framer = new SseFramer();
  /** An event outgrew what metering holds: the rest of the stream passes as it comes,
   * unmetered and unfiltered, rather than being held whole. */
  private passing = false;

  constructor(
    private readonly meter: SseMeter,
    private readonly reader: UsageReader,
  ) {}

  /** Returns the bytes of the complete events in `chunk` that the client should get. */
  write(chunk: Buffer): Buffer | null {
    if (this.passing) return chunk;
    const kept = this.keep(this.framer.push(chunk));
    if (this.framer.held > MAX_EVENT_BYTES) {
      this.passing = true;
      kept.push(...this.released());
    }
    return joined(kept);
  }

  /** Ends the stream. An unterminated last event goes out unchanged, and is not metered. */
  end(): Buffer | null {
    if (this.passing) return null;
    return joined([...this.keep(this.framer.end()), ...this.released()]);
  }

  private keep(events: Buffer[]): Buffer[] {
    return events.filter((event) => {
      this.meter.feed(event);
      return !this.reader.hideLastEvent;
    });
  }

  private released(): Buffer[] {
    const rest = this.framer.release();
    return rest ? [rest] : [];
  }
}

function joined(buffers: Buffer[]): Buffer | null {
  if (buffers.length <= 1) return buffers[0] ?? null;
  return Buffer.concat(buffers);
}
