import { GatewayError } from '../errors.js';

/** Undici's codes for an upstream that did not answer in time. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/**
 * Classifies a failed attempt (no response at all) into an `error.type` and the gateway error
 * the client gets if no other attempt succeeds. The message never includes the upstream's
 * address or the underlying error text.
 */
export function classifyAttemptError(err: unknown): { errorType: string; error: GatewayError } {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  if (TIMEOUT_CODES.has(code)) {
    return {
      errorType: 'timeout',
      error: new GatewayError('upstream_timeout', 'The upstream did not answer in time.'),
    };
  }
  return {
    errorType: 'connection_error',
    error: new GatewayError('upstream_unreachable', 'The upstream could not be reached.'),
  };
}

/** Error classes for a stream the upstream broke off after its headers. */
export function streamErrorType(err: unknown): string {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  return code === 'UND_ERR_BODY_TIMEOUT' ? 'idle_timeout' : 'stream_reset';
}

/** A status that another account might answer better: rate limits, bad credentials, and
 * server-side failures including Anthropic's 529 "overloaded". */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 401 || status === 403 || status >= 500;
}
