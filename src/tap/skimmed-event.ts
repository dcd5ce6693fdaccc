import { Skimmer } from './skimmer.js';
import { RawEvent, type PendingEvent } from './sse-framer.js';

/** Up to this size an event reaches a reader as it came; a larger one is skimmed. */
export const SMALL_EVENT = 64 * 1024;

/**
 * Keeps the event still arriving as metering needs it: as it came while it is small, and once
 * it is larger than 64 KiB, skimmed as it arrives. A 4 MB image event thus never waits whole in
 * memory. Holding its chunks until its end would keep them alive long enough to leave the young
 * generation, and at many images a second the full collections that then free them cost more
 * CPU than the metering itself.
 */
export class SkimmedEvent implements PendingEvent {
  private readonly raw = new RawEvent();
  private skimmer: Skimmer | null = null;
  size = 0;

  add(piece: Buffer): void {
    this.size += piece.length;
    if (this.skimmer) return this.skimmer.write(piece);
    this.raw.add(piece);
    if (this.size > SMALL_EVENT) {
      this.skimmer = new Skimmer();
      this.skimmer.write(this.raw.take());
    }
  }

  take(): Buffer {
    const event = this.skimmer ? this.skimmer.take() : this.raw.take();
    this.skimmer = null;
    this.size = 0;
    return event;
  }
}

/** A whole event's bytes, skimmed if it is large. */
export function skimmedIfLarge(event: Buffer): Buffer {
  if (event.length <= SMALL_EVENT) return event;
  const skimmer = new Skimmer();
  skimmer.write(event);
  return skimmer.take();
}
