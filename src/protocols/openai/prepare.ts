import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../../errors.js';
import type { Exchange } from '../../exchange.js';
import type { RouteSpec } from '../../routes.js';
import { field } from '../../usage.js';
import type { UsageReader } from '../reader.js';
import { ChatReader } from './chat-reader.js';
import { ResponsesReader } from './responses-reader.js';

/** What the protocol decided about a request before it goes upstream. */
export interface Prepared {
  body: Buffer | undefined;
  reader: UsageReader | null;
  hideEvents: boolean;
}

/**
 * Reads an OpenAI-protocol request: the model, whether it streams, whether it asks for image
 * generation. The body goes upstream as the client sent it, with one exception: a streaming
 * chat request that did not ask for usage gets `stream_options.include_usage` added, since
 * otherwise the stream would carry no token counts at all.
 */
export function prepareOpenAi(
  route: RouteSpec,
  exchange: Exchange,
  headers: IncomingHttpHeaders,
  raw: Buffer,
): Prepared {
  const body = raw.length ? raw : undefined;
  if (route.kind === 'unmetered') return { body, reader: null, hideEvents: false };

  const json = parseRequestJson(headers, raw);
  exchange.metered = true;
  exchange.model = typeof json.model === 'string' ? json.model : undefined;
  exchange.stream = json.stream === true;

  if (route.kind === 'responses') {
    exchange.imageRequest = hasImageTool(json.tools);
    return { body, reader: new ResponsesReader(exchange), hideEvents: false };
  }
  const addUsage = exchange.stream && field(json, 'stream_options', 'include_usage') !== true;
  return {
    body: addUsage ? withIncludeUsage(raw, json) : body,
    reader: new ChatReader(exchange, addUsage),
    hideEvents: addUsage,
  };
}

function parseRequestJson(headers: IncomingHttpHeaders, raw: Buffer): Record<string, unknown> {
  const type = headers['content-type'] ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type.trim())) {
    throw new GatewayError(
      'unsupported_content_type',
      `Expected Content-Type: application/json, got "${type.slice(0, 100)}".`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new GatewayError('invalid_json', 'The request body is not valid JSON.');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new GatewayError('invalid_json', 'The request body must be a JSON object.');
  }
  return json as Record<string, unknown>;
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
