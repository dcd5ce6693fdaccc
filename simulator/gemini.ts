import { randomBytes } from 'node:crypto';
import { answerPieces, summaryPieces } from './content.js';
import { ControlError, type Controls } from './controls.js';
import { jsonPlayback, type Frame, type Playback } from './playback.js';
import { emptyTotals, isRecord, type TokenTotals } from './usage.js';

/**
 * `POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent`, as the Gemini API
 * answers: one GenerateContentResponse, or a stream of them as SSE (`?alt=sse`, events
 * separated by CRLF pairs) or as one JSON array whose elements are written as they are made.
 */

type RequestBody = Record<string, unknown>;

export const GEMINI_JSON_HEADERS = { 'content-type': 'application/json; charset=UTF-8' };
const GEMINI_SSE_HEADERS = { 'content-type': 'text/event-stream' };

/** `usageMetadata`: the prompt includes its cached part; candidates exclude thinking. */
export interface GeminiUsage {
  promptTokenCount: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount: number;
  thoughtsTokenCount?: number;
  totalTokenCount: number;
}

const SCENARIOS = ['text', 'reasoning', 'error_event', 'premature_close', 'reset'];

interface Answer {
  model: string;
  scenario: string;
  controls: Controls;
  usage: GeminiUsage;
  responseId: string;
}

export function geminiError(code: number, message: string, status: string) {
  return { error: { code, message, status } };
}

const STATUS_NAME: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** The body Gemini sends for a status, as a fault without a body of its own answers. */
export function defaultGeminiError(status: number) {
  const messages: Record<number, string> = {
    429: 'Resource has been exhausted (e.g. check quota).',
    503: 'The model is overloaded. Please try again later.',
  };
  const name = STATUS_NAME[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
  return geminiError(status, messages[status] ?? 'An internal error has occurred.', name);
}

/** What the API says to a request without a key. */
export function missingGeminiKeyError() {
  return geminiError(
    403,
    "Method doesn't allow unregistered callers (callers without established identity). " +
      'Please use API Key or other form of API consumer identity to call this API.',
    'PERMISSION_DENIED',
  );
}

/** `target` is the last path segment: `{model}:{method}`. */
export function generatePlayback(
  target: string,
  query: URLSearchParams,
  body: RequestBody,
  controls: Controls,
): Playback {
  const [model, method] = target.split(':');
  if (!/^gemini-[\w.-]+$/.test(model)) {
    return jsonPlayback(
      404,
      geminiError(404, `models/${model} is not found for API version v1beta.`, 'NOT_FOUND'),
    );
  }
  const answer = decide(model, body, controls);
  if (method === 'generateContent') return wholePlayback(answer);
  return query.get('alt') === 'sse' ? ssePlayback(answer) : arrayPlayback(answer);
}

export function geminiModelList() {
  const models = ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite'].map((id) => ({
    name: `models/${id}`,
    version: '001',
    displayName: id,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent'],
    thinking: true,
  }));
  return { models };
}

function decide(model: string, body: RequestBody, controls: Controls): Answer {
  const scenario = controls.scenario ?? 'text';
  if (!SCENARIOS.includes(scenario)) {
    throw new ControlError('x-sim-scenario', `"${scenario}" does not apply to Gemini`);
  }
  // A request naming cached content reads most of its prompt from that cache.
  const cached = typeof body.cachedContent === 'string' ? { cachedContentTokenCount: 1_024 } : {};
  const thinking = scenario === 'reasoning' ? { thoughtsTokenCount: 320 } : {};
  const usage = {
    promptTokenCount: 1_500,
    candidatesTokenCount: 80,
    ...cached,
    ...thinking,
    ...(isRecord(controls.usage) ? controls.usage : {}),
  } as GeminiUsage;
  usage.totalTokenCount =
    num(usage.promptTokenCount) + num(usage.candidatesTokenCount) + num(usage.thoughtsTokenCount);
  return { model, scenario, controls, usage, responseId: randomBytes(12).toString('base64url') };
}

/** The chunks of the answer; each carries usage so far, the last one the final numbers. */
function chunks(answer: Answer): Record<string, unknown>[] {
  const n = Math.max(answer.controls.events, 1);
  const parts: Record<string, unknown>[] = [];
  if (answer.scenario === 'reasoning')
    parts.push({ text: summaryPieces(n).join(''), thought: true });
  parts.push(...answerPieces(n).map((text) => ({ text })));
  return parts.map((part, i) => {
    const last = i === parts.length - 1;
    const candidate = {
      content: { parts: [part], role: 'model' },
      index: 0,
      ...(last ? { finishReason: 'STOP' } : {}),
    };
    return {
      candidates: [candidate],
      usageMetadata: last ? answer.usage : runningUsage(answer.usage, (i + 1) / parts.length),
      modelVersion: answer.model,
      responseId: answer.responseId,
    };
  });
}

/** Before the last chunk Gemini states the prompt and the candidates' tokens so far. */
function runningUsage(usage: GeminiUsage, share: number): Record<string, number> {
  const candidates = Math.floor(usage.candidatesTokenCount * share);
  return {
    promptTokenCount: usage.promptTokenCount,
    candidatesTokenCount: candidates,
    totalTokenCount: usage.promptTokenCount + candidates,
  };
}

function wholePlayback(answer: Answer): Playback {
  if (answer.scenario === 'error_event') return jsonPlayback(500, defaultGeminiError(500));
  const all = chunks(answer);
  const parts = all.flatMap(
    (c) => (c.candidates as { content: { parts: unknown[] } }[])[0].content.parts,
  );
  const merged = {
    ...all.at(-1),
    candidates: [{ content: { parts, role: 'model' }, finishReason: 'STOP', index: 0 }],
  };
  return {
    status: 200,
    headers: GEMINI_JSON_HEADERS,
    frames: [{ chunk: JSON.stringify(merged), usage: totals(answer.usage) }],
    ending: 'end',
  };
}

function ssePlayback(answer: Answer): Playback {
  const frames = streamFrames(answer, (chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`);
  return { status: 200, headers: GEMINI_SSE_HEADERS, frames: frames.frames, ending: frames.ending };
}

/** `[` + first element, then `,\r\n` + each next one, then `]`, each written when made. */
function arrayPlayback(answer: Answer): Playback {
  let first = true;
  const frames = streamFrames(answer, (chunk) => {
    const text = `${first ? '[' : '\n,\r\n'}${JSON.stringify(chunk)}`;
    first = false;
    return text;
  });
  if (frames.complete) frames.frames.push({ chunk: '\n]' });
  return {
    status: 200,
    headers: GEMINI_JSON_HEADERS,
    frames: frames.frames,
    ending: frames.ending,
  };
}

function streamFrames(answer: Answer, frame: (chunk: unknown) => string) {
  const all = chunks(answer);
  const frames: Frame[] = [];
  const broken = ['error_event', 'premature_close', 'reset'].includes(answer.scenario);
  const sent = broken ? all.slice(0, -1) : all;
  sent.forEach((chunk, i) => {
    const last = !broken && i === sent.length - 1;
    frames.push({ chunk: frame(chunk), usage: last ? totals(answer.usage) : undefined });
  });
  if (answer.scenario === 'error_event') frames.push({ chunk: frame(defaultGeminiError(500)) });
  const ending: Playback['ending'] = answer.scenario === 'reset' ? 'destroy' : 'end';
  return {
    frames,
    ending,
    complete: answer.scenario !== 'premature_close' && answer.scenario !== 'reset',
  };
}

function totals(usage: GeminiUsage): TokenTotals {
  return {
    ...emptyTotals(),
    host_in: num(usage.promptTokenCount),
    cache: num(usage.cachedContentTokenCount),
    host_out: num(usage.candidatesTokenCount) + num(usage.thoughtsTokenCount),
    reasoning: num(usage.thoughtsTokenCount),
  };
}

function num(value: unknown): number {
  return typeof value === 'number' && value > 0 ? value : 0;
}
