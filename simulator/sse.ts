import type { Frame } from './playback.js';
import type { TokenTotals } from './usage.js';

/**
 * Server-sent event framing as OpenAI writes it: Responses names each event on an `event:`
 * line and repeats the name as `type` in the JSON; Chat Completions sends bare `data:` lines
 * and ends with a `[DONE]` sentinel.
 */

/** `event: <type>\ndata: <json>\n\n`; the JSON's `type` field must come first. */
export function namedEvent(event: { type: string }): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** `data: <json>\n\n`. */
export function dataEvent(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export const DONE_EVENT = 'data: [DONE]\n\n';

/**
 * Numbers Responses events from 0 in the order they are sent, as the real API's
 * `sequence_number` does, and keeps them as frames ready to play.
 */
export class ResponsesEventLog {
  readonly frames: Frame[] = [];
  private sequence = 0;
  private pending = 0;

  /** Adds one event; `usage` marks a terminal event whose usage counts once it is sent. */
  emit(type: string, fields: Record<string, unknown> = {}, usage?: TokenTotals): void {
    const event = { type, sequence_number: this.sequence++, ...fields };
    const pauseMs = this.pending > 0 ? this.pending : undefined;
    this.pending = 0;
    this.frames.push({ chunk: namedEvent(event), usage, ...(pauseMs ? { pauseMs } : {}) });
  }

  /** Holds the next event back `ms` longer: the time the upstream spends working before it. */
  pauseBeforeNext(ms: number): void {
    this.pending += ms;
  }
}
