import { anthropicModelList, countTokensPlayback, messagesPlayback } from './anthropic.js';
import { anthropicError } from './anthropic-wire.js';
import { ControlError, readControls, type Controls } from './controls.js';
import type { RecordedRequest } from './index.js';
import { jsonPlayback, type Playback } from './playback.js';
import { isRecord } from './usage.js';

/** An answer to play, and the `x-sim-*` controls that shape its delivery (none for errors). */
export type Routed = [Playback, Controls | undefined];

/** Requests in Anthropic's protocol: `/v1/messages`, `count_tokens`, and the model list. */
export function anthropicRoute(request: RecordedRequest): Routed {
  if (request.apiKey === undefined) {
    return [
      jsonPlayback(401, anthropicError('authentication_error', 'x-api-key header is required')),
      undefined,
    ];
  }
  const pathname = request.path.split('?')[0];
  const target = `${request.method} ${pathname}`;
  if (target === 'GET /v1/models') return [jsonPlayback(200, anthropicModelList()), undefined];
  if (target !== 'POST /v1/messages' && target !== 'POST /v1/messages/count_tokens') {
    return [
      jsonPlayback(404, anthropicError('not_found_error', `Not found: ${pathname}`)),
      undefined,
    ];
  }
  if (!isRecord(request.json)) {
    return [
      jsonPlayback(
        400,
        anthropicError('invalid_request_error', 'The request body is not valid JSON.'),
      ),
      undefined,
    ];
  }
  try {
    const controls = readControls(request.headers);
    const playback =
      target === 'POST /v1/messages'
        ? messagesPlayback(request.json, controls, request.headers)
        : countTokensPlayback(request.json, request.headers);
    return [playback, controls];
  } catch (error) {
    if (!(error instanceof ControlError)) throw error;
    return [jsonPlayback(400, anthropicError('invalid_request_error', error.message)), undefined];
  }
}
