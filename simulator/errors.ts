/** OpenAI's error body, on every status ≥ 400. */
export interface OpenAIError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function openaiError(
  message: string,
  type: string,
  param: string | null = null,
  code: string | null = null,
): OpenAIError {
  return { error: { message, type, param, code } };
}

export function missingKeyError(): OpenAIError {
  return openaiError(
    "You didn't provide an API key. You need to provide your API key in an Authorization " +
      'header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).',
    'invalid_request_error',
  );
}

export function invalidUrlError(method: string, path: string): OpenAIError {
  return openaiError(`Invalid URL (${method} ${path})`, 'invalid_request_error');
}

export function invalidJsonError(): OpenAIError {
  return openaiError(
    'We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.',
    'invalid_request_error',
  );
}

/** What a failed generation says, in `response.failed`, an `error` event or a 500. */
export function serverError(): OpenAIError {
  return openaiError(
    'The server had an error while processing your request. Sorry about that!',
    'server_error',
    null,
    'server_error',
  );
}

/** The body a fault sends when the test gives none: what OpenAI sends for that status. */
export function defaultFaultError(status: number): OpenAIError {
  switch (status) {
    case 401:
      return openaiError(
        'Incorrect API key provided. You can find your API key at ' +
          'https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        null,
        'invalid_api_key',
      );
    case 403:
      return openaiError('You are not allowed to use this model.', 'invalid_request_error');
    case 429:
      return openaiError(
        'Rate limit reached for requests per min (RPM). Please try again later.',
        'requests',
        null,
        'rate_limit_exceeded',
      );
    case 503:
      return openaiError(
        'The engine is currently overloaded, please try again later.',
        'server_error',
      );
    default:
      return status >= 500 ? serverError() : openaiError(`HTTP ${status}`, 'invalid_request_error');
  }
}
