import { TOKEN_KINDS, type TokenKind } from './telemetry/vocabulary.js';

/** Token counts of one exchange, by token kind. */
export type Usage = Record<TokenKind, number>;

export function emptyUsage(): Usage {
  return {
    host_in: 0,
    host_out: 0,
    cache: 0,
    cache_write: 0,
    reasoning: 0,
    image_in: 0,
    image_out: 0,
  };
}

/** Providers' numbers are read defensively: anything that is not a finite, non-negative number
 * (absent, null, a string, negative) counts as 0, so a malformed field never poisons a total. */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

export function hasTokens(usage: Usage): boolean {
  return TOKEN_KINDS.some((kind) => usage[kind] > 0);
}

/** Reads a nested field without throwing on the way: `field(obj, 'a', 'b')` is `obj?.a?.b`. */
export function field(value: unknown, ...path: string[]): unknown {
  let node = value;
  for (const key of path) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
