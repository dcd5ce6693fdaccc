import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import type { Config } from '../config/schema.js';

type Env = Record<string, string | undefined>;

/**
 * The connection pool for upstream requests, with the configured timeouts. Requests go through
 * the proxy `HTTPS_PROXY` (https upstreams) or `HTTP_PROXY` (http ones) names, unless the
 * upstream's host matches `NO_PROXY`; lower-case names win, as with curl. The proxy gets a
 * CONNECT tunnel, so it never sees the account's key. Extra CA certificates come from
 * `NODE_EXTRA_CA_CERTS`, which Node reads once at start.
 */
export function upstreamDispatcher(timeouts: Config['timeouts'], env: Env): Dispatcher {
  return new EnvHttpProxyAgent({
    connect: { timeout: timeouts.connect_seconds * 1000 },
    headersTimeout: timeouts.headers_seconds * 1000,
    bodyTimeout: timeouts.idle_seconds * 1000,
    // Passed explicitly (an empty string means none) so that the environment the gateway was
    // given is the one that counts, not whatever the process happens to hold.
    httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? '',
    httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? '',
    noProxy: env.no_proxy ?? env.NO_PROXY ?? '',
  });
}
