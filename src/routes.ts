import type { IncomingHttpHeaders } from 'node:http';
import type { ProtocolName } from './protocols/protocol.js';
import { LabelValue } from './telemetry/vocabulary.js';

/** What a route is, for the protocol code (how to read it) and for telemetry (its label). */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'ALL';
  /** The route template: the `route` label, never the raw path. */
  template: string;
  protocol: ProtocolName;
  kind:
    | 'responses'
    | 'chat'
    | 'images'
    | 'embeddings'
    | 'messages'
    | 'count_tokens'
    | 'generate'
    | 'unmetered';
  /** `gen_ai.operation.name` of the exchanges on this route. */
  operation: string;
}

/** A path registered with the router and how it picks its route: from the path's parameters
 * and, on paths that two protocols share, from the client's headers. */
export interface RouteEntry {
  method: RouteSpec['method'];
  /** The router's pattern; it differs from the template where the template has a colon. */
  path: string;
  resolve(params: Record<string, string>, headers: IncomingHttpHeaders): RouteSpec;
}

function post(
  template: string,
  protocol: ProtocolName,
  kind: RouteSpec['kind'],
  operation: string,
): RouteSpec {
  return { method: 'POST', template, protocol, kind, operation };
}

/** The routes Tollgate meters or knows by name, by protocol. */
export const OPENAI_ROUTES: readonly RouteSpec[] = [
  post('/v1/responses', 'openai', 'responses', 'chat'),
  post('/v1/responses/compact', 'openai', 'responses', 'chat'),
  post('/v1/chat/completions', 'openai', 'chat', 'chat'),
  post('/v1/images/generations', 'openai', 'images', 'image_generation'),
  post('/v1/images/edits', 'openai', 'images', 'image_generation'),
  post('/v1/embeddings', 'openai', 'embeddings', 'embeddings'),
];

export const ANTHROPIC_ROUTES: readonly RouteSpec[] = [
  post('/v1/messages', 'anthropic', 'messages', 'chat'),
  post('/v1/messages/count_tokens', 'anthropic', 'count_tokens', 'count_tokens'),
];

export const GEMINI_ROUTES: readonly RouteSpec[] = [
  post('/v1beta/models/{model}:generateContent', 'gemini', 'generate', 'generate_content'),
  post('/v1beta/models/{model}:streamGenerateContent', 'gemini', 'generate', 'generate_content'),
];

function models(template: string, protocol: ProtocolName): RouteSpec {
  return { method: 'GET', template, protocol, kind: 'unmetered', operation: 'models' };
}

function passThrough(template: string, protocol: ProtocolName): RouteSpec {
  return { method: 'ALL', template, protocol, kind: 'unmetered', operation: 'pass_through' };
}

const OPENAI_MODELS = models('/v1/models', 'openai');
const ANTHROPIC_MODELS = models('/v1/models', 'anthropic');
const GEMINI_MODELS = models('/v1beta/models', 'gemini');

/** Every other `/v1/*` path: forwarded to the client's protocol's upstream, counted, not metered. */
export const PASS_THROUGH_ROUTE = passThrough(LabelValue.passThroughRoute, 'openai');
const ANTHROPIC_PASS_THROUGH = passThrough(LabelValue.passThroughRoute, 'anthropic');
// Every pass-through path has the one label `/v1/*`, whatever protocol's prefix it came under.
const GEMINI_PASS_THROUGH = passThrough(LabelValue.passThroughRoute, 'gemini');

/** Anthropic's SDKs and Claude Code send `anthropic-version` on every request: on paths both
 * OpenAI and Anthropic serve, it says which protocol the client speaks. */
function speaksAnthropic(headers: IncomingHttpHeaders): boolean {
  return headers['anthropic-version'] !== undefined;
}

/** `/v1beta/models/{model}:{method}` is one path segment: the router matches it whole and the
 * method after the last colon picks the route; other methods (countTokens, embedContent, ...)
 * pass through. */
function geminiModelRoute(params: Record<string, string>): RouteSpec {
  const method = (params.target ?? '').split(':').at(-1);
  return GEMINI_ROUTES.find((r) => r.template.endsWith(`:${method}`)) ?? GEMINI_PASS_THROUGH;
}

const fixed = (route: RouteSpec): RouteEntry => ({
  method: route.method,
  path: route.template,
  resolve: () => route,
});

/** Everything the router serves for the protocols, in matching order. */
export const ROUTE_TABLE: readonly RouteEntry[] = [
  ...OPENAI_ROUTES.map(fixed),
  ...ANTHROPIC_ROUTES.map(fixed),
  {
    method: 'GET',
    path: '/v1/models',
    resolve: (_, headers) => (speaksAnthropic(headers) ? ANTHROPIC_MODELS : OPENAI_MODELS),
  },
  fixed(GEMINI_MODELS),
  { method: 'POST', path: '/v1beta/models/:target', resolve: geminiModelRoute },
  { method: 'ALL', path: '/v1beta/{*rest}', resolve: () => GEMINI_PASS_THROUGH },
  {
    method: 'ALL',
    path: '/v1/{*rest}',
    resolve: (_, headers) =>
      speaksAnthropic(headers) ? ANTHROPIC_PASS_THROUGH : PASS_THROUGH_ROUTE,
  },
];

/** The protocol of a request no route matched, so even that refusal answers in its shape. */
export function protocolOfPath(path: string, headers: IncomingHttpHeaders): ProtocolName {
  if (path.startsWith('/v1beta/')) return 'gemini';
  return speaksAnthropic(headers) ? 'anthropic' : 'openai';
}
