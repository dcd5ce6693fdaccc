/**
 * Token usage as the simulator reports it, in Tollgate's token kinds (DESIGN.md §3), and its
 * translation to and from each OpenAI wire shape.
 */

export const TOKEN_KINDS = [
  'host_in',
  'host_out',
  'cache',
  'reasoning',
  'image_in',
  'image_out',
] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];
export type TokenTotals = Record<TokenKind, number>;

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** `response.tool_usage.image_gen`: image-tool tokens, billed apart from `response.usage`. */
export interface ImageGenUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

export function emptyTotals(): TokenTotals {
  return { host_in: 0, host_out: 0, cache: 0, reasoning: 0, image_in: 0, image_out: 0 };
}

export function addTotals(into: TokenTotals, add: TokenTotals): void {
  for (const kind of TOKEN_KINDS) into[kind] += add[kind];
}

export function toResponsesUsage(t: TokenTotals): ResponsesUsage {
  return {
    input_tokens: t.host_in,
    input_tokens_details: { cached_tokens: t.cache },
    output_tokens: t.host_out,
    output_tokens_details: { reasoning_tokens: t.reasoning },
    total_tokens: t.host_in + t.host_out,
  };
}

export function toImageGenUsage(t: TokenTotals): ImageGenUsage {
  return {
    input_tokens: t.image_in,
    output_tokens: t.image_out,
    total_tokens: t.image_in + t.image_out,
  };
}

export function toChatUsage(t: TokenTotals): ChatUsage {
  return {
    prompt_tokens: t.host_in,
    completion_tokens: t.host_out,
    total_tokens: t.host_in + t.host_out,
    prompt_tokens_details: { cached_tokens: t.cache, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: t.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/**
 * Reads back what a Responses terminal event carries, with the gateway's rule that a
 * non-numeric or negative field counts as 0, so `Simulator.reported` is exactly what a correct
 * gateway should count even when a test overrides usage with odd values.
 */
export function fromResponsesUsage(usage: unknown, imageGen: unknown): TokenTotals {
  return {
    host_in: field(usage, 'input_tokens'),
    host_out: field(usage, 'output_tokens'),
    cache: field(usage, 'input_tokens_details', 'cached_tokens'),
    reasoning: field(usage, 'output_tokens_details', 'reasoning_tokens'),
    image_in: field(imageGen, 'input_tokens'),
    image_out: field(imageGen, 'output_tokens'),
  };
}

export function fromChatUsage(usage: unknown): TokenTotals {
  return {
    ...emptyTotals(),
    host_in: field(usage, 'prompt_tokens'),
    host_out: field(usage, 'completion_tokens'),
    cache: field(usage, 'prompt_tokens_details', 'cached_tokens'),
    reasoning: field(usage, 'completion_tokens_details', 'reasoning_tokens'),
  };
}

/**
 * Lays a test's `x-sim-usage` JSON over the default wire usage. `total_tokens` is recomputed
 * from the two given keys unless the override sets it, so a test can also send an inconsistent
 * total on purpose. A `null` override sends `usage: null`.
 */
export function overrideUsage<T extends object>(
  base: T,
  override: unknown,
  sumKeys: readonly [string, string],
): T | null {
  if (override === undefined) return base;
  if (override === null) return null;
  const merged = deepMerge(base, override) as Record<string, unknown>;
  if (!hasKey(override, 'total_tokens')) {
    merged.total_tokens = field(merged, sumKeys[0]) + field(merged, sumKeys[1]);
  }
  return merged as T;
}

function deepMerge(base: unknown, override: unknown): unknown {
  if (!isRecord(base) || !isRecord(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = deepMerge(base[key], value);
  return out;
}

function field(source: unknown, ...path: string[]): number {
  let value = source;
  for (const key of path) value = isRecord(value) ? value[key] : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

function hasKey(value: unknown, key: string): boolean {
  return isRecord(value) && key in value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
