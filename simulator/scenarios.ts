import type { TokenTotals } from './usage.js';

/**
 * The closed list of answers the simulated upstream can give, chosen per request with the
 * `x-sim-scenario` header (or derived from the body). Each name maps to one way an exchange
 * ends in DESIGN.md §5.
 */
export const SCENARIOS = [
  'text',
  'reasoning',
  'tool_call',
  'image',
  'image_fallback',
  'incomplete',
  'failed',
  'error_event',
  'premature_close',
  'reset',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Chat Completions has no image tool and no `response.failed`. */
export const CHAT_SCENARIOS = [
  'text',
  'reasoning',
  'tool_call',
  'incomplete',
  'error_event',
  'premature_close',
  'reset',
] as const satisfies readonly Scenario[];
export type ChatScenario = (typeof CHAT_SCENARIOS)[number];

/** Text deltas per answer unless `x-sim-events` says otherwise. */
export const DEFAULT_EVENTS = 5;

/** Length of the image's base64 unless `x-sim-image-bytes` says otherwise. */
export const DEFAULT_IMAGE_BYTES = 64 * 1024;

const none = { host_in: 0, host_out: 0, cache: 0, reasoning: 0, image_in: 0, image_out: 0 };

/**
 * Usage each scenario reports in its terminal event or JSON body when no `x-sim-usage` header
 * overrides it; `null` when the scenario never sends one, so nothing is reported. The numbers
 * differ per scenario so a test can tell from a total which answers were counted. Chat uses
 * the same numbers (its wire shape has no image fields).
 */
export const DEFAULT_USAGE: Readonly<Record<Scenario, Readonly<TokenTotals> | null>> = {
  text: { ...none, host_in: 1500, cache: 1024, host_out: 80 },
  reasoning: { ...none, host_in: 900, host_out: 420, reasoning: 320 },
  tool_call: { ...none, host_in: 700, cache: 256, host_out: 45 },
  // 1056 output tokens is what a 1024x1024 medium-quality gpt-image-1 picture costs.
  image: { ...none, host_in: 320, host_out: 140, image_in: 62, image_out: 1056 },
  image_fallback: { ...none, host_in: 320, host_out: 210 },
  incomplete: { ...none, host_in: 400, host_out: 256 },
  failed: { ...none, host_in: 410, host_out: 12 },
  error_event: null,
  premature_close: null,
  reset: null,
};

export function isScenario(name: string): name is Scenario {
  return (SCENARIOS as readonly string[]).includes(name);
}

export function isChatScenario(name: Scenario): name is ChatScenario {
  return (CHAT_SCENARIOS as readonly string[]).includes(name);
}
