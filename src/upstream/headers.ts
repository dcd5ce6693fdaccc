import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Account } from '../accounts/account.js';
import { DECODABLE_ENCODINGS } from '../tap/decoder.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1) concern one connection and are never forwarded. `host`
 * and `content-length` are recomputed for the upstream request. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Every way a client may present a credential; none of them may reach an upstream. */
const CLIENT_CREDENTIALS = new Set(['authorization', 'x-api-key', 'x-goog-api-key', 'cookie']);

/** Set by the gateway itself, or describing the client's network path: a client could spoof
 * them, and an upstream has no use for the team's internal addresses. */
const GATEWAY_OWNED = new Set(['host', 'content-length', 'expect', 'forwarded', 'x-real-ip']);

/**
 * The headers sent upstream: the client's, less hop-by-hop ones, credentials and gateway-owned
 * ones, with `accept-encoding` narrowed to what metering can decode; then the account's
 * credential (in the header its protocol uses) and its configured headers, which win over the
 * client's.
 */
export function upstreamHeaders(
  client: IncomingHttpHeaders,
  account: Account,
  options: { identity: boolean; credential: Record<string, string> },
): Record<string, string> {
  const headers: Record<string, string> = {};
  const named = connectionTokens(client.connection);
  for (const name in client) {
    const value = client[name];
    if (value === undefined || !forwardable(name, named)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }

  const encoding = options.identity ? 'identity' : narrowEncoding(client['accept-encoding']);
  if (encoding) headers['accept-encoding'] = encoding;
  else delete headers['accept-encoding'];

  Object.assign(headers, options.credential);
  for (const [name, value] of Object.entries(account.headers)) headers[name.toLowerCase()] = value;
  return headers;
}

function forwardable(name: string, named: ReadonlySet<string>): boolean {
  return !(
    HOP_BY_HOP.has(name) ||
    CLIENT_CREDENTIALS.has(name) ||
    GATEWAY_OWNED.has(name) ||
    name.startsWith('x-forwarded-') ||
    named.has(name)
  );
}

const NO_TOKENS: ReadonlySet<string> = new Set();

/** A `connection` header may name further headers that are hop-by-hop for this connection. */
function connectionTokens(value: string | string[] | undefined): ReadonlySet<string> {
  // Most requests send none or `keep-alive`, which names no further header.
  if (value === undefined || value === 'keep-alive' || value === 'close') return NO_TOKENS;
  const text = Array.isArray(value) ? value.join(',') : value;
  return new Set(
    text
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** Keeps only the codings Tollgate can decode (gzip, deflate, br): zstd and others would leave
 * metering blind. Returns undefined when nothing decodable remains. */
export function narrowEncoding(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const kept = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => {
      const coding = part.split(';')[0].trim().toLowerCase();
      return (DECODABLE_ENCODINGS as readonly string[]).includes(coding) || coding === 'identity';
    });
  return kept.length ? kept.join(', ') : undefined;
}

/** The headers sent down to the client: the upstream's, less hop-by-hop ones, plus Tollgate's
 * request id. */
export function clientHeaders(
  upstream: Record<string, string | string[] | undefined>,
  requestId: string,
  options: { dropLength: boolean },
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  const named = connectionTokens(upstream.connection);
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    if (options.dropLength && name === 'content-length') continue;
    headers[name] = value;
  }
  headers['x-tollgate-request-id'] = requestId;
  return headers;
}
