import { GatewayError } from '../../errors.js';
import type { Exchange } from '../../exchange.js';
import type { RouteSpec } from '../../routes.js';
import type { InboundRequest, Prepared } from '../protocol.js';
import { parseRequestJson } from '../request-json.js';
import { GenerateReader } from './generate-reader.js';

/** A model id as Gemini spells them (`gemini-2.5-flash`, `gemini-2.0-flash-001`): anything else,
 * an encoded slash or a dot segment above all, could steer the upstream URL elsewhere. */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Reads a Gemini request. The model comes from the path (`/models/{model}:{method}`), never
 * from the body; `streamGenerateContent` streams, as SSE with `alt=sse` or else as one JSON
 * array whose elements arrive over time, and the same reader meters both.
 */
export async function prepareGemini(
  route: RouteSpec,
  exchange: Exchange,
  request: InboundRequest,
): Promise<Prepared> {
  const body = request.body.length ? request.body : undefined;
  if (route.kind !== 'generate') return { body, reader: null, hideEvents: false };

  exchange.model = modelFromTarget(request.params.target ?? '');
  parseRequestJson(request.headers, request.body);
  exchange.metered = true;
  exchange.stream = route.template.endsWith(':streamGenerateContent');
  return { body, reader: new GenerateReader(exchange), hideEvents: false };
}

/** `target` is the last path segment, decoded: `{model}:{method}`. */
export function modelFromTarget(target: string): string {
  const model = target.slice(0, target.lastIndexOf(':'));
  if (!MODEL_ID.test(model) || model.includes('..')) {
    throw new GatewayError(
      'invalid_path',
      'The model in the request path is not a valid model id.',
    );
  }
  return model;
}
