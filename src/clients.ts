import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientConfig } from './config/schema.js';
import { LabelValue } from './telemetry/vocabulary.js';

/**
 * Identifies the caller from its client key. Keys are looked up by their SHA-256 digest: the
 * lookup costs the same whatever key is presented, so response timing says nothing about how
 * close a guess was, and the table holds no key in the clear.
 */
export class ClientAuth {
  private byDigest = new Map<string, string>();

  constructor(clients: readonly ClientConfig[] | undefined) {
    this.reload(clients);
  }

  /** Replaces the table at once: a request is checked against the old keys or the new, never a
   * mix of both. */
  reload(clients: readonly ClientConfig[] | undefined): void {
    const byDigest = new Map<string, string>();
    for (const client of clients ?? []) byDigest.set(digest(client.key), client.name);
    this.byDigest = byDigest;
  }

  get enabled(): boolean {
    return this.byDigest.size > 0;
  }

  /** The client's name, `anonymous` when keys are off, or undefined for a missing or wrong key. */
  identify(headers: IncomingHttpHeaders, query = ''): string | undefined {
    if (!this.enabled) return LabelValue.anonymousClient;
    const key = presentedKey(headers) ?? new URLSearchParams(query).get('key') ?? undefined;
    return key === undefined ? undefined : this.byDigest.get(digest(key));
  }
}

/** The key a client presents in a header: `Authorization: Bearer <key>` (OpenAI, and some
 * Anthropic set-ups), `x-api-key` (Anthropic) or `x-goog-api-key` (Gemini). Gemini clients may
 * instead put it in the query string as `?key=`. */
function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    return match?.[1];
  }
  for (const name of ['x-api-key', 'x-goog-api-key']) {
    const value = headers[name];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
