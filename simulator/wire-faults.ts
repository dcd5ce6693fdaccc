import type { IncomingHttpHeaders } from 'node:http';
import { ControlError, header, readCount } from './controls.js';
import type { Frame, Playback } from './playback.js';
import { addTotals, emptyTotals, type TokenTotals } from './usage.js';

/**
 * Ways a test can spoil the wire form of an otherwise valid answer, one `x-sim-*` header each.
 * They change only how the bytes go out, never the usage an answer reports; the simulator
 * still counts a usage frame as sent only once its bytes reached the socket.
 */
export interface WireFaults {
  /** `x-sim-framing`: `crlf` or `cr` line endings, or `bare` (no `event:` lines). SSE only. */
  framing: Framing | undefined;
  /** `x-sim-garbage: 1`: an event whose data is not JSON, right after the first event. */
  garbage: boolean;
  /** `x-sim-repeat-terminal: 1`: the events from the usage-carrying one to the end, twice. */
  repeatTerminal: boolean;
  /** `x-sim-chunk-bytes`: the body re-cut into writes of this many bytes, across events. */
  chunkBytes: number;
  /** `x-sim-stall-after`: after this many writes the body stops, the connection stays open. */
  stallAfter: number | undefined;
}

const FRAMINGS = ['crlf', 'cr', 'bare'] as const;
type Framing = (typeof FRAMINGS)[number];

export const NO_WIRE_FAULTS: WireFaults = {
  framing: undefined,
  garbage: false,
  repeatTerminal: false,
  chunkBytes: 0,
  stallAfter: undefined,
};

export function readWireFaults(headers: IncomingHttpHeaders): WireFaults {
  const framing = header(headers, 'x-sim-framing');
  if (framing !== undefined && !(FRAMINGS as readonly string[]).includes(framing)) {
    throw new ControlError('x-sim-framing', `expected one of ${FRAMINGS.join(', ')}`);
  }
  const stall = header(headers, 'x-sim-stall-after');
  return {
    framing: framing as Framing | undefined,
    garbage: header(headers, 'x-sim-garbage') === '1',
    repeatTerminal: header(headers, 'x-sim-repeat-terminal') === '1',
    chunkBytes: readCount(headers, 'x-sim-chunk-bytes', 0),
    stallAfter: stall === undefined ? undefined : readCount(headers, 'x-sim-stall-after', 0),
  };
}

/** The playback with the requested faults applied, in a fixed order: events first, then bytes. */
export function spoil(playback: Playback, faults: WireFaults): Playback {
  const sse = (playback.headers['content-type'] ?? '').startsWith('text/event-stream');
  let frames = playback.frames;
  if (sse && faults.repeatTerminal) frames = repeatTerminal(frames);
  if (sse && faults.garbage) frames = withGarbage(frames);
  if (sse && faults.framing) frames = reframe(frames, faults.framing);
  if (faults.chunkBytes > 0) frames = rechunk(frames, faults.chunkBytes);
  if (faults.stallAfter === undefined) return { ...playback, frames };
  return { ...playback, frames: frames.slice(0, faults.stallAfter), ending: 'hang' };
}

/** Repeats the tail that starts at the last usage-carrying event; the copy reports nothing. */
function repeatTerminal(frames: Frame[]): Frame[] {
  const withUsage = frames.map((f) => f.usage !== undefined);
  const last = withUsage.lastIndexOf(true);
  const tail = frames.slice(last === -1 ? frames.length - 1 : last);
  return [...frames, ...tail.map(({ chunk }) => ({ chunk }))];
}

function withGarbage(frames: Frame[]): Frame[] {
  const garbage = { chunk: 'data: <html>upstream proxy error</html> {not json\n\n' };
  return [...frames.slice(0, 1), garbage, ...frames.slice(1)];
}

function reframe(frames: Frame[], framing: Framing): Frame[] {
  const rewrite = (text: string): string => {
    if (framing === 'bare') return text.replace(/^event: [^\n]*\n/gm, '');
    return text.replaceAll('\n', framing === 'crlf' ? '\r\n' : '\r');
  };
  return frames.map((f) => ({ ...f, chunk: rewrite(f.chunk.toString()) }));
}

/** Cuts the whole body into `size`-byte writes; a usage counts with the write that ends it. */
function rechunk(frames: Frame[], size: number): Frame[] {
  const whole = Buffer.concat(frames.map((f) => Buffer.from(f.chunk)));
  const usageEnds = new Map<number, Frame['usage']>();
  let offset = 0;
  for (const frame of frames) {
    offset += Buffer.byteLength(frame.chunk);
    if (frame.usage) usageEnds.set(offset, frame.usage);
  }
  const pieces: Frame[] = [];
  for (let start = 0; start < whole.length; start += size) {
    const end = Math.min(start + size, whole.length);
    const ended = [...usageEnds].filter(([at]) => at > start && at <= end).map(([, u]) => u!);
    pieces.push({ chunk: whole.subarray(start, end), usage: sum(ended) });
  }
  return pieces;
}

function sum(usages: TokenTotals[]): TokenTotals | undefined {
  if (usages.length === 0) return undefined;
  const total = emptyTotals();
  for (const usage of usages) addTotals(total, usage);
  return total;
}
