import type { GatewayError } from '../../errors.js';

/** OpenAI's error body, `{"error":{"message","type","param","code"}}`. The `type` follows the
 * status the way OpenAI's own errors do, so SDKs raise their usual exception classes. */
export function openAiErrorBody(error: GatewayError): object {
  const type = error.status < 500 ? 'invalid_request_error' : 'server_error';
  return { error: { message: error.message, type, param: null, code: error.code } };
}
