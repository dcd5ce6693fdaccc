import type { Protocol } from '../protocol.js';
import { anthropicErrorBody } from './error-body.js';
import { prepareAnthropic } from './prepare.js';

/** Anthropic Messages; the account's key goes in `x-api-key`. The client's `anthropic-version`
 * and `anthropic-beta` pass through like any other header. */
export const anthropicProtocol: Protocol = {
  name: 'anthropic',
  provider: 'anthropic',
  versionPrefix: '/v1',
  prepare: prepareAnthropic,
  credential: (apiKey) => ({ 'x-api-key': apiKey }),
  errorBody: anthropicErrorBody,
};
