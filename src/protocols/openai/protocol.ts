import type { Protocol } from '../protocol.js';
import { openAiErrorBody } from './error-body.js';
import { prepareOpenAi } from './prepare.js';

/** OpenAI: Responses, Chat Completions, Images and Embeddings; the key as a bearer token. */
export const openAiProtocol: Protocol = {
  name: 'openai',
  provider: 'openai',
  versionPrefix: '/v1',
  prepare: prepareOpenAi,
  credential: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  errorBody: openAiErrorBody,
};
