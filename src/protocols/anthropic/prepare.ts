import type { Exchange } from '../../exchange.js';
import type { RouteSpec } from '../../routes.js';
import { field } from '../../usage.js';
import { parseJson } from '../reader.js';
import type { InboundRequest, Prepared } from '../protocol.js';
import { parseRequestJson, stringField } from '../request-json.js';
import { MessagesReader } from './messages-reader.js';

/**
 * Reads an Anthropic Messages request. `/v1/messages` is metered; `count_tokens` is not, but
 * names a model, which still chooses the upstream. Bodies go upstream untouched.
 */
export async function prepareAnthropic(
  route: RouteSpec,
  exchange: Exchange,
  request: InboundRequest,
): Promise<Prepared> {
  const body = request.body.length ? request.body : undefined;
  if (route.kind === 'count_tokens') {
    const model = field(parseJson(request.body.toString('utf8')), 'model');
    exchange.model = typeof model === 'string' ? model : undefined;
  }
  if (route.kind !== 'messages') return { body, reader: null, hideEvents: false };

  const json = parseRequestJson(request.headers, request.body);
  exchange.metered = true;
  exchange.model = stringField(json, 'model');
  exchange.stream = json.stream === true;
  return { body, reader: new MessagesReader(exchange), hideEvents: false };
}
