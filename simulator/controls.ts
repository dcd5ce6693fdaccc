import type { IncomingHttpHeaders } from 'node:http';
import { DEFAULT_EVENTS, DEFAULT_IMAGE_BYTES, isScenario, type Scenario } from './scenarios.js';
import { readWireFaults, type WireFaults } from './wire-faults.js';

/** What a test asked of one request through `x-sim-*` headers. */
export interface Controls {
  /** `x-sim-scenario`; when absent each route derives one from the body. */
  scenario: Scenario | undefined;
  /** `x-sim-usage`: provider-shaped usage laid over the defaults (`undefined` = defaults). */
  usage: unknown;
  /** `x-sim-image-usage`: `{input_tokens, output_tokens}` for `tool_usage.image_gen`. */
  imageUsage: unknown;
  /** `x-sim-delay-ms`: pause between two events of a stream. */
  delayMs: number;
  /** `x-sim-events`: number of text (or argument, or summary) deltas. */
  events: number;
  /** `x-sim-image-bytes`: approximate length of the final image's base64. */
  imageBytes: number;
  /** `x-sim-image-delay-ms`: slow generation, a pause before the first event of a stream and
   * before each partial and final image. */
  imageDelayMs: number;
  /** `x-sim-encoding-corrupt: 1`: garble the compressed body after its first part. */
  corrupt: boolean;
  /** `x-sim-framing`, `x-sim-stall-after` and the other ways to spoil the wire form. */
  wire: WireFaults;
}

/** A malformed `x-sim-*` header: answered with a 400 so a broken test fails loudly. */
export class ControlError extends Error {
  constructor(
    readonly header: string,
    message: string,
  ) {
    super(`${header}: ${message}`);
  }
}

export function readControls(headers: IncomingHttpHeaders): Controls {
  return {
    scenario: readScenario(header(headers, 'x-sim-scenario')),
    usage: readJson(headers, 'x-sim-usage'),
    imageUsage: readJson(headers, 'x-sim-image-usage'),
    delayMs: readCount(headers, 'x-sim-delay-ms', 0),
    events: readCount(headers, 'x-sim-events', DEFAULT_EVENTS),
    imageBytes: readCount(headers, 'x-sim-image-bytes', DEFAULT_IMAGE_BYTES),
    imageDelayMs: readCount(headers, 'x-sim-image-delay-ms', 0),
    corrupt: header(headers, 'x-sim-encoding-corrupt') === '1',
    wire: readWireFaults(headers),
  };
}

function readScenario(value: string | undefined): Scenario | undefined {
  if (value === undefined) return undefined;
  if (!isScenario(value)) throw new ControlError('x-sim-scenario', `unknown scenario "${value}"`);
  return value;
}

function readJson(headers: IncomingHttpHeaders, name: string): unknown {
  const value = header(headers, name);
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new ControlError(name, 'expected JSON');
  }
}

export function readCount(headers: IncomingHttpHeaders, name: string, fallback: number): number {
  const value = header(headers, name);
  if (value === undefined) return fallback;
  const count = Number(value);
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new ControlError(name, 'expected a non-negative integer');
  }
  return count;
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
