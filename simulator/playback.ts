import { setTimeout as pause } from 'node:timers/promises';
import type { Body } from './encoding.js';
import { serverError } from './errors.js';
import type { Scenario } from './scenarios.js';
import type { TokenTotals } from './usage.js';

/** One piece of a response body, and the usage it carries if it is a terminal one. */
export interface Frame {
  chunk: string | Buffer;
  usage?: TokenTotals;
  /** Extra pause before this frame, e.g. the work before an image (on top of `delayMs`). */
  pauseMs?: number;
}

/**
 * A whole answer decided before the first byte goes out: status, headers, the frames of its
 * body and how the connection ends. `end` finishes the body cleanly (even when no terminal
 * event was sent); `destroy` drops the connection after the last frame; `hang` keeps it open,
 * sending nothing more, until the client leaves or the simulator closes.
 */
export interface Playback {
  status: number;
  headers: Record<string, string>;
  frames: Frame[];
  ending: 'end' | 'destroy' | 'hang';
}

export const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8' };
export const JSON_HEADERS = { 'content-type': 'application/json' };

export interface PlayOptions {
  /** Pause before every frame but the first; 0 writes back to back. */
  delayMs: number;
  /** Called with a frame's usage once its bytes reached the socket. */
  onUsageSent(usage: TokenTotals): void;
}

/** Writes the frames in order and ends the connection the way the playback says. */
export async function play(body: Body, playback: Playback, options: PlayOptions): Promise<void> {
  for (const [index, frame] of playback.frames.entries()) {
    if (index > 0 && options.delayMs > 0 && !(await wait(options.delayMs, body.signal))) return;
    if (frame.pauseMs && !(await wait(frame.pauseMs, body.signal))) return;
    if (!(await body.write(frame.chunk))) return;
    if (frame.usage) options.onUsageSent(frame.usage);
  }
  if (playback.ending === 'destroy') body.destroy();
  else if (playback.ending === 'hang') await closed(body.signal);
  else await body.end();
}

/** A non-streaming JSON answer; `usage` is what the body reports. */
export function jsonPlayback(status: number, payload: unknown, usage?: TokenTotals): Playback {
  return {
    status,
    headers: JSON_HEADERS,
    frames: [{ chunk: JSON.stringify(payload), usage }],
    ending: 'end',
  };
}

/**
 * A JSON answer cut in half: the client gets status 200 and part of the body, then either a
 * clean end of the HTTP message or a dropped connection. Nothing is reported as sent.
 */
export function truncatedJsonPlayback(payload: unknown, ending: Playback['ending']): Playback {
  const text = JSON.stringify(payload);
  return {
    status: 200,
    headers: JSON_HEADERS,
    frames: [{ chunk: text.slice(0, Math.floor(text.length / 2)) }],
    ending,
  };
}

/**
 * How a non-streaming answer ends in each scenario: a generation that fails becomes a 500
 * (there is no event to carry the error), a broken connection cuts the JSON in half.
 */
export function nonStreamingPlayback(
  scenario: Scenario,
  payload: unknown,
  usage: TokenTotals,
): Playback {
  switch (scenario) {
    case 'failed':
    case 'error_event':
      return jsonPlayback(500, serverError());
    case 'premature_close':
      return truncatedJsonPlayback(payload, 'end');
    case 'reset':
      return truncatedJsonPlayback(payload, 'destroy');
    default:
      return jsonPlayback(200, payload, usage);
  }
}

function closed(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await pause(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
