import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicRoute } from './anthropic-route.js';
import {
  anthropicRateLimitHeaders,
  anthropicRequestId,
  defaultAnthropicError,
} from './anthropic-wire.js';
import { chatPlayback } from './chat.js';
import { embeddingsPlayback } from './embeddings.js';
import { defaultGeminiError, GEMINI_JSON_HEADERS } from './gemini.js';
import { geminiRoute } from './gemini-route.js';
import { imagesPlayback, readImageForm } from './images.js';
import { ControlError, readControls, type Controls } from './controls.js';
import { chooseEncoding, ENCODINGS, openBody, type Encoding } from './encoding.js';
import {
  defaultFaultError,
  invalidJsonError,
  invalidUrlError,
  missingKeyError,
  openaiError,
  serverError,
} from './errors.js';
import { FaultBook, type Fault, type StatusFault } from './faults.js';
import { codexQuotaHeaders, identityHeaders, rateLimitHeaders } from './headers.js';
import { requestId } from './ids.js';
import { JSON_HEADERS, jsonPlayback, play, type Playback } from './playback.js';
import { compactPlayback, responsesPlayback } from './responses.js';
import { NO_WIRE_FAULTS, spoil } from './wire-faults.js';
import { addTotals, emptyTotals, isRecord, type TokenTotals } from './usage.js';

export type { Fault, StatusFault } from './faults.js';
export type { Encoding } from './encoding.js';
export type { TokenKind, TokenTotals } from './usage.js';
export { CHAT_SCENARIOS, DEFAULT_USAGE, SCENARIOS, type Scenario } from './scenarios.js';

export interface SimulatorOptions {
  /** Compress answers when the request's `accept-encoding` allows it (default true). */
  compress?: boolean;
  /** Encodings to answer in, most preferred first (default `['gzip']`). */
  encodings?: Encoding[];
  /** Answer OpenAI requests as the Codex backend does, with its quota-window headers. */
  codexQuota?: boolean;
}

/** A request as it reached the simulated upstream. */
export interface RecordedRequest {
  method: string;
  /** Path including the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON, or `undefined` when it is empty or not JSON. */
  json: unknown;
  /** The key the request presents: the bearer token of `authorization`, `x-api-key`
   * (Anthropic), `x-goog-api-key` or `?key=` (Gemini). */
  apiKey: string | undefined;
  /** The answer's body bytes exactly as written to the socket (compressed when it was). */
  sent: Buffer[];
}

/** A simulated upstream on 127.0.0.1 speaking OpenAI, Anthropic and Gemini. */
export interface Simulator {
  /** The base URL an OpenAI or Anthropic upstream config would use: `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** The base URL a Gemini upstream config would use: `http://127.0.0.1:PORT/v1beta`. */
  readonly geminiUrl: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Running sums of the usage the simulator has sent in terminal events and JSON bodies. */
  readonly reported: TokenTotals;
  failNext(fault: Fault, times?: number): void;
  failAccount(apiKey: string, fault: Fault, times?: number): void;
  /** Forgets recorded requests, reported usage and armed faults. */
  reset(): void;
  /** Stops listening and drops every connection, hanging ones included. */
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = new SimulatedUpstream(options);
  await simulator.listen();
  return simulator;
}

const MODELS = ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o', 'gpt-5', 'o4-mini', 'gpt-image-1'];

class SimulatedUpstream implements Simulator {
  readonly requests: RecordedRequest[] = [];
  readonly reported = emptyTotals();
  port = 0;
  private readonly faults = new FaultBook();
  private readonly server: http.Server;
  private readonly encodings: readonly Encoding[];
  private readonly codexQuota: boolean;
  private served = 0;

  constructor(options: SimulatorOptions) {
    this.encodings = options.compress === false ? [] : checkEncodings(options.encodings);
    this.codexQuota = options.codexQuota === true;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => crash(res, error));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  get geminiUrl(): string {
    return `http://127.0.0.1:${this.port}/v1beta`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  failNext(fault: Fault, times = 1): void {
    this.faults.failNext(fault, times);
  }

  failAccount(apiKey: string, fault: Fault, times = Infinity): void {
    this.faults.failAccount(apiKey, fault, times);
  }

  reset(): void {
    this.requests.length = 0;
    Object.assign(this.reported, emptyTotals());
    this.faults.clear();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const request = await record(req).catch(() => undefined);
    // A client that left while sending its body is no simulator bug: just drop the connection.
    if (!request) return void res.destroy();
    this.requests.push(request);

    const protocol = protocolOf(request);
    const fault = this.faults.take(request.apiKey);
    if (fault && 'kind' in fault) {
      // A `hang` leaves the request unanswered until close() drops the connection.
      if (fault.kind === 'destroy') req.socket.resetAndDestroy();
      return;
    }
    const answer = fault
      ? { playback: faultPlayback(fault, protocol), delivery: PLAIN }
      : await route(request, protocol);
    await this.send(res, request, startedAt, protocol, answer);
  }

  /** Headers first (rate limits on successes only), then the body, compressed if allowed. */
  private async send(
    res: ServerResponse,
    request: RecordedRequest,
    startedAt: number,
    protocol: SimProtocol,
    { playback, delivery }: Answer,
  ): Promise<void> {
    const ok = playback.status < 300;
    const headers = {
      ...protocolHeaders(protocol, startedAt, ok ? this.served++ : undefined),
      ...(ok && protocol === 'openai' && this.codexQuota ? codexQuotaHeaders(this.served) : {}),
      ...playback.headers,
    };
    const encoding = chooseEncoding(header(request.headers, 'accept-encoding'), this.encodings);
    const body = openBody(res, playback.status, headers, {
      encoding,
      corrupt: delivery.corrupt,
      record: request.sent,
    });
    await play(body, spoil(playback, delivery.wire), {
      delayMs: delivery.delayMs,
      onUsageSent: (usage) => addTotals(this.reported, usage),
    });
  }
}

/** How the bytes of an answer go out, from the request's `x-sim-*` headers. */
type Delivery = Pick<Controls, 'delayMs' | 'corrupt' | 'wire'>;
const PLAIN: Delivery = { delayMs: 0, corrupt: false, wire: NO_WIRE_FAULTS };

interface Answer {
  playback: Playback;
  delivery: Delivery;
}

type Route = (body: Record<string, unknown>, controls: Controls) => Playback;

const JSON_ROUTES: Record<string, Route> = {
  'POST /v1/responses': responsesPlayback,
  'POST /v1/responses/compact': compactPlayback,
  'POST /v1/chat/completions': chatPlayback,
  'POST /v1/images/generations': (body, controls) => imagesPlayback('generation', body, controls),
  'POST /v1/images/edits': (body, controls) => imagesPlayback('edit', body, controls),
  'POST /v1/embeddings': embeddingsPlayback,
};

/** The protocols the simulator speaks; each answers errors and headers its own way. */
type SimProtocol = 'openai' | 'anthropic' | 'gemini';

/** Gemini lives under `/v1beta`; Anthropic's clients always send `anthropic-version`. */
function protocolOf(request: RecordedRequest): SimProtocol {
  if (request.path.startsWith('/v1beta/')) return 'gemini';
  const anthropic =
    request.path.startsWith('/v1/messages') || request.headers['anthropic-version'] !== undefined;
  return anthropic ? 'anthropic' : 'openai';
}

async function route(request: RecordedRequest, protocol: SimProtocol): Promise<Answer> {
  if (protocol === 'openai') return openaiRoute(request);
  const [playback, controls] = (protocol === 'anthropic' ? anthropicRoute : geminiRoute)(request);
  return { playback, delivery: controls ?? PLAIN };
}

async function openaiRoute(request: RecordedRequest): Promise<Answer> {
  if (request.apiKey === undefined) return plain(jsonPlayback(401, missingKeyError()));
  const pathname = request.path.split('?')[0];
  const target = `${request.method} ${pathname}`;
  if (target === 'GET /v1/models') return plain(jsonPlayback(200, modelList()));
  if (target === 'POST /v1/echo') return plain(echo(request));
  const handler = JSON_ROUTES[target];
  if (!handler) return plain(jsonPlayback(404, invalidUrlError(request.method, pathname)));
  // Image edits come as a multipart form.
  if (target === 'POST /v1/images/edits' && !isRecord(request.json)) {
    const type = header(request.headers, 'content-type') ?? '';
    request.json = await readImageForm(request.body, type);
  }
  if (!isRecord(request.json)) return plain(jsonPlayback(400, invalidJsonError()));

  try {
    const controls = readControls(request.headers);
    return { playback: handler(request.json, controls), delivery: controls };
  } catch (error) {
    if (!(error instanceof ControlError)) throw error;
    const body = openaiError(error.message, 'invalid_request_error', error.header);
    return plain(jsonPlayback(400, body));
  }
}

function plain(playback: Playback): Answer {
  return { playback, delivery: PLAIN };
}

/** The headers that identify an answer and, on successes (`served` given), its account's rate
 * limits, as each provider sends them. Gemini's API sends no rate-limit headers. */
function protocolHeaders(
  protocol: SimProtocol,
  startedAt: number,
  served: number | undefined,
): Record<string, string> {
  const ms = Math.round(performance.now() - startedAt);
  if (protocol === 'anthropic') {
    return {
      'request-id': anthropicRequestId(),
      'anthropic-organization-id': '5a8f0c4e-3b1d-4f6a-9c2e-7d1b0e9a4c31',
      ...(served === undefined ? {} : anthropicRateLimitHeaders(served)),
    };
  }
  if (protocol === 'gemini') return { 'server-timing': `gfet4t7; dur=${ms}`, vary: 'Origin' };
  return {
    ...identityHeaders(requestId(), startedAt),
    ...(served === undefined ? {} : rateLimitHeaders(served)),
  };
}

const DEFAULT_FAULT_ERROR = {
  openai: defaultFaultError,
  anthropic: defaultAnthropicError,
  gemini: defaultGeminiError,
};

/** A string or Buffer body goes out as is, anything else as JSON. */
function faultPlayback(fault: StatusFault, protocol: SimProtocol): Playback {
  const body = fault.body ?? DEFAULT_FAULT_ERROR[protocol](fault.status);
  const chunk = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return {
    status: fault.status,
    headers: {
      ...(protocol === 'gemini' ? GEMINI_JSON_HEADERS : JSON_HEADERS),
      ...definedHeaders(fault.headers),
    },
    frames: [{ chunk }],
    ending: 'end',
  };
}

function definedHeaders(headers: StatusFault['headers'] = {}): Record<string, string> {
  const entries = Object.entries(headers).filter(([, value]) => value !== undefined);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** `POST /v1/echo`: the body back, byte for byte, under the request's content-type. */
function echo(request: RecordedRequest): Playback {
  const contentType = header(request.headers, 'content-type') ?? 'application/octet-stream';
  return {
    status: 200,
    headers: { 'content-type': contentType },
    frames: [{ chunk: request.body }],
    ending: 'end',
  };
}

function modelList() {
  const data = MODELS.map((id) => ({
    id,
    object: 'model',
    created: 1_744_316_542,
    owned_by: 'system',
  }));
  return { object: 'list', data };
}

async function record(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const bearer = /^Bearer\s+(\S+)/i.exec(header(req.headers, 'authorization') ?? '');
  const queryKey = new URL(req.url ?? '/', 'http://simulator').searchParams.get('key');
  return {
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: req.headers,
    body,
    json: parseJson(body),
    apiKey:
      bearer?.[1] ??
      header(req.headers, 'x-api-key') ??
      header(req.headers, 'x-goog-api-key') ??
      queryKey ??
      undefined,
    sent: [],
  };
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function checkEncodings(encodings: Encoding[] = ['gzip']): readonly Encoding[] {
  const unknown = encodings.filter((e) => !(ENCODINGS as readonly string[]).includes(e));
  if (unknown.length > 0) {
    throw new RangeError(
      `unknown encodings ${unknown.join(', ')}; expected ${ENCODINGS.join(', ')}`,
    );
  }
  return encodings;
}

/** A bug in the simulator: say so loudly, and never leave the client waiting. */
function crash(res: ServerResponse, error: unknown): void {
  console.error('simulator: request handler failed', error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, JSON_HEADERS).end(JSON.stringify(serverError()));
}
