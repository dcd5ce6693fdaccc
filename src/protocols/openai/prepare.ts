import { GatewayError } from '../../errors.js';
import type { Exchange } from '../../exchange.js';
import type { RouteSpec } from '../../routes.js';
import { field } from '../../usage.js';
import type { InboundRequest, Prepared } from '../protocol.js';
import { isJsonContentType, parseRequestJson, stringField } from '../request-json.js';
import { ChatReader } from './chat-reader.js';
import { EmbeddingsReader } from './embeddings-reader.js';
import { ImagesReader } from './images-reader.js';
import { ResponsesReader } from './responses-reader.js';

/**
 * Reads an OpenAI-protocol request: the model, whether it streams, whether it asks for image
 * generation. The body goes upstream as the client sent it, with one exception: a streaming
 * chat request that did not ask for usage gets `stream_options.include_usage` added, since
 * otherwise the stream would carry no token counts at all.
 */
export async function prepareOpenAi(
  route: RouteSpec,
  exchange: Exchange,
  request: InboundRequest,
): Promise<Prepared> {
  const { headers, body: raw } = request;
  const body = raw.length ? raw : undefined;
  if (route.kind === 'unmetered') return { body, reader: null, hideEvents: false };

  // Step 1: what is asked. The images routes make an image request by their path alone, so
  // even a refused one counts as a failed image request. Edits usually come as a multipart form.
  if (route.kind === 'images') exchange.metered = exchange.imageRequest = true;
  const json =
    route.kind === 'images' && !isJsonContentType(headers)
      ? await readForm(request)
      : parseRequestJson(headers, raw);
  exchange.metered = true;
  exchange.model = stringField(json, 'model');
  exchange.stream = json.stream === true;

  // Step 2: how its answer is read.
  switch (route.kind) {
    case 'responses':
      exchange.imageRequest = hasImageTool(json.tools);
      return { body, reader: new ResponsesReader(exchange), hideEvents: false };
    case 'images':
      return { body, reader: new ImagesReader(exchange), hideEvents: false };
    case 'embeddings':
      return { body, reader: new EmbeddingsReader(exchange), hideEvents: false };
    default:
      return prepareChat(exchange, raw, json);
  }
}

function prepareChat(exchange: Exchange, raw: Buffer, json: Record<string, unknown>): Prepared {
  const addUsage = exchange.stream && field(json, 'stream_options', 'include_usage') !== true;
  return {
    body: addUsage ? withIncludeUsage(raw, json) : raw,
    reader: new ChatReader(exchange, addUsage),
    hideEvents: addUsage,
  };
}

/** The text fields of a multipart form (`model`, `stream`, ...); the body itself goes upstream
 * untouched. The fetch API's own multipart parser does the reading. */
async function readForm(request: InboundRequest): Promise<Record<string, unknown>> {
  const type = String(request.headers['content-type'] ?? '');
  if (!/^multipart\/form-data\b/i.test(type.trim())) {
    throw new GatewayError(
      'unsupported_content_type',
      `Expected Content-Type: multipart/form-data or application/json, got "${type.slice(0, 100)}".`,
    );
  }
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(request.body), {
      headers: { 'content-type': type },
    }).formData();
  } catch {
    throw new GatewayError('invalid_form', 'The request body is not a valid multipart form.');
  }
  const fields: Record<string, unknown> = {};
  for (const name of ['model', 'stream']) {
    const value = form.get(name);
    if (typeof value === 'string') fields[name] = name === 'stream' ? value === 'true' : value;
  }
  return fields;
}

function hasImageTool(tools: unknown): boolean {
  return Array.isArray(tools) && tools.some((tool) => field(tool, 'type') === 'image_generation');
}

/** Adds `include_usage: true`. When the client sent no `stream_options`, the field is spliced in
 * after the opening brace so every other byte of the body stays as the client wrote it. */
function withIncludeUsage(raw: Buffer, json: Record<string, unknown>): Buffer {
  if (json.stream_options === undefined) {
    const text = raw.toString('utf8');
    const brace = text.indexOf('{');
    const spliced = `${text.slice(0, brace + 1)}"stream_options":{"include_usage":true},${text.slice(brace + 1)}`;
    return Buffer.from(spliced);
  }
  const options = { ...(json.stream_options as object), include_usage: true };
  return Buffer.from(JSON.stringify({ ...json, stream_options: options }));
}
