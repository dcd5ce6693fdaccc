import type { GatewayError } from '../../errors.js';

/** Anthropic's error `type` for each HTTP status it documents; other 4xx statuses are
 * `invalid_request_error` there too. */
const TYPE_BY_STATUS: Record<number, string> = {
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
};

/** Anthropic's error body: `{"type":"error","error":{"type","message"}}`. */
export function anthropicErrorBody(error: GatewayError): object {
  const type =
    TYPE_BY_STATUS[error.status] ?? (error.status < 500 ? 'invalid_request_error' : 'api_error');
  return { type: 'error', error: { type, message: error.message } };
}
