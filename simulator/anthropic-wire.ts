import { randomBytes } from 'node:crypto';

/**
 * What every Anthropic answer carries besides its body: the `request-id` header, the
 * organisation's rate-limit headers (resets as RFC 3339 times), and the error body shape.
 */

/** `{"type":"error","error":{"type","message"},"request_id"}`, on every status >= 400. */
export interface AnthropicError {
  type: 'error';
  error: { type: string; message: string };
  request_id?: string;
}

export function anthropicError(type: string, message: string): AnthropicError {
  return { type: 'error', error: { type, message } };
}

/** The body Anthropic sends for a status, as a fault without a body of its own answers. */
export function defaultAnthropicError(status: number): AnthropicError {
  switch (status) {
    case 400:
      return anthropicError('invalid_request_error', 'Invalid request.');
    case 401:
      return anthropicError('authentication_error', 'invalid x-api-key');
    case 403:
      return anthropicError(
        'permission_error',
        'Your API key does not have permission to use the specified resource.',
      );
    case 404:
      return anthropicError('not_found_error', 'Not found');
    case 413:
      return anthropicError(
        'request_too_large',
        'Request exceeds the maximum allowed number of bytes.',
      );
    case 429:
      return anthropicError(
        'rate_limit_error',
        'Number of request tokens has exceeded your per-minute rate limit.',
      );
    case 529:
      return anthropicError('overloaded_error', 'Overloaded');
    default:
      return status >= 500
        ? anthropicError('api_error', 'Internal server error')
        : anthropicError('invalid_request_error', `HTTP ${status}`);
  }
}

/** Anthropic's request ids: `req_` and 24 base-62 characters. */
export function anthropicRequestId(): string {
  return `req_011C${base62(20)}`;
}

/** Message ids: `msg_` and 24 base-62 characters. */
export function messageId(): string {
  return `msg_01${base62(22)}`;
}

export function toolUseId(): string {
  return `toolu_01${base62(22)}`;
}

const LIMITS = {
  requests: 4_000,
  tokens: 2_000_000,
  'input-tokens': 1_600_000,
  'output-tokens': 400_000,
};

/**
 * The rate-limit headers of a healthy organisation: far from its limits, each window resetting
 * within the minute. `served` is how many requests the simulator has answered so far.
 */
export function anthropicRateLimitHeaders(
  served: number,
  now = Date.now(),
): Record<string, string> {
  const headers: Record<string, string> = {};
  const reset = new Date(Math.ceil((now + 1) / 60_000) * 60_000)
    .toISOString()
    .replace('.000Z', 'Z');
  for (const [resource, limit] of Object.entries(LIMITS)) {
    const used = resource === 'requests' ? 1 + (served % 100) : 2_000;
    headers[`anthropic-ratelimit-${resource}-limit`] = String(limit);
    headers[`anthropic-ratelimit-${resource}-remaining`] = String(limit - used);
    headers[`anthropic-ratelimit-${resource}-reset`] = reset;
  }
  return headers;
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function base62(length: number): string {
  return [...randomBytes(length)].map((byte) => BASE62[byte % 62]).join('');
}
