import type { Protocol } from '../protocol.js';
import { geminiErrorBody } from './error-body.js';
import { prepareGemini } from './prepare.js';

/** Gemini generateContent; the account's key goes in `x-goog-api-key`. */
export const geminiProtocol: Protocol = {
  name: 'gemini',
  provider: 'gcp.gemini',
  versionPrefix: '/v1beta',
  prepare: prepareGemini,
  credential: (apiKey) => ({ 'x-goog-api-key': apiKey }),
  errorBody: geminiErrorBody,
};
