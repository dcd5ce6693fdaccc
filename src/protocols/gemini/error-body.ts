import type { GatewayError } from '../../errors.js';

/** The canonical Google status name for each HTTP status, as Gemini's errors carry it. */
const STATUS_NAME: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Gemini's error body: `{"error":{"code","message","status"}}`. */
export function geminiErrorBody(error: GatewayError): object {
  const status =
    STATUS_NAME[error.status] ?? (error.status < 500 ? 'INVALID_ARGUMENT' : 'INTERNAL');
  return { error: { code: error.status, message: error.message, status } };
}
