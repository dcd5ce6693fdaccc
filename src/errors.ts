/**
 * Errors Tollgate itself answers with. Each has a stable code, an HTTP status and a message
 * written for the caller; nothing else (no stack, no upstream detail, no credential) reaches
 * the client. The body follows the protocol the caller speaks.
 */

export type GatewayErrorCode =
  | 'invalid_json'
  | 'invalid_form'
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
  invalid_form: 400,
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
