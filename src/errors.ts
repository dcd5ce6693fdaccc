/**
 * Errors Tollgate itself answers with. Each has a stable code, an HTTP status and a message
 * written for the caller; nothing else (no stack, no upstream detail, no credential) reaches
 * the client. The body follows the protocol the caller speaks.
 */

export type GatewayErrorCode =
  | 'invalid_json'
  | 'unsupported_content_type'
  | 'body_too_large'
  | 'invalid_client_key'
  | 'unknown_route'
  | 'invalid_path'
  | 'no_account_available'
  | 'no_upstream'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'internal_error';

const STATUS: Record<GatewayErrorCode, number> = {
  invalid_json: 400,
  unsupported_content_type: 415,
  body_too_large: 413,
  invalid_client_key: 401,
  unknown_route: 404,
  invalid_path: 400,
  no_account_available: 503,
  no_upstream: 404,
  upstream_unreachable: 502,
  upstream_timeout: 504,
  internal_error: 500,
};

/** OpenAI's error `type` for each code, so SDKs map them to their usual exception classes. */
const OPENAI_TYPE: Record<GatewayErrorCode, string> = {
  invalid_json: 'invalid_request_error',
  unsupported_content_type: 'invalid_request_error',
  body_too_large: 'invalid_request_error',
  invalid_client_key: 'invalid_request_error',
  unknown_route: 'invalid_request_error',
  invalid_path: 'invalid_request_error',
  no_account_available: 'server_error',
  no_upstream: 'invalid_request_error',
  upstream_unreachable: 'server_error',
  upstream_timeout: 'server_error',
  internal_error: 'server_error',
};

export class GatewayError extends Error {
  readonly status: number;

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS[code];
  }

  /** Whether the exchange ends as `rejected` (Tollgate refused it) rather than failing upstream. */
  get isRejection(): boolean {
    return this.code !== 'upstream_unreachable' && this.code !== 'upstream_timeout';
  }
}

/** The error body in OpenAI's shape: `{"error":{"message","type","param","code"}}`. */
export function openAiErrorBody(error: GatewayError): object {
  return {
    error: { message: error.message, type: OPENAI_TYPE[error.code], param: null, code: error.code },
  };
}
