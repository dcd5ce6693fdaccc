import type { Routed } from './anthropic-route.js';
import { ControlError, readControls } from './controls.js';
import { geminiError, geminiModelList, generatePlayback, missingGeminiKeyError } from './gemini.js';
import type { RecordedRequest } from './index.js';
import { jsonPlayback } from './playback.js';
import { isRecord } from './usage.js';

const GENERATE = /^\/v1beta\/models\/([^/]+:(?:generateContent|streamGenerateContent))$/;

/** Requests in Gemini's protocol: generate, stream, and the model list. */
export function geminiRoute(request: RecordedRequest): Routed {
  if (request.apiKey === undefined) return [jsonPlayback(403, missingGeminiKeyError()), undefined];
  const url = new URL(request.path, 'http://simulator');
  if (request.method === 'GET' && url.pathname === '/v1beta/models') {
    return [jsonPlayback(200, geminiModelList()), undefined];
  }
  const match = request.method === 'POST' ? GENERATE.exec(url.pathname) : null;
  if (!match) {
    const message = `The requested URL ${url.pathname} was not found on this server.`;
    return [jsonPlayback(404, geminiError(404, message, 'NOT_FOUND')), undefined];
  }
  if (!isRecord(request.json)) {
    return [
      jsonPlayback(400, geminiError(400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT')),
      undefined,
    ];
  }
  try {
    const controls = readControls(request.headers);
    return [
      generatePlayback(decodeURIComponent(match[1]), url.searchParams, request.json, controls),
      controls,
    ];
  } catch (error) {
    if (!(error instanceof ControlError)) throw error;
    return [jsonPlayback(400, geminiError(400, error.message, 'INVALID_ARGUMENT')), undefined];
  }
}
