import { answerPieces, argumentPieces, DEFAULT_FUNCTION } from './content.js';
import { ControlError, type Controls } from './controls.js';
import { serverError } from './errors.js';
import { chatCompletionId, callId, fingerprint, obfuscation } from './ids.js';
import { nonStreamingPlayback, SSE_HEADERS, type Frame, type Playback } from './playback.js';
import { DEFAULT_USAGE, isChatScenario, type ChatScenario } from './scenarios.js';
import { dataEvent, DONE_EVENT } from './sse.js';
import {
  emptyTotals,
  fromChatUsage,
  isRecord,
  overrideUsage,
  toChatUsage,
  type ChatUsage,
} from './usage.js';

/** `POST /v1/chat/completions`. */

type RequestBody = Record<string, unknown>;

/** One backend configuration for the simulator's lifetime, as a real deployment has. */
const SYSTEM_FINGERPRINT = fingerprint();

interface Answer {
  body: RequestBody;
  scenario: ChatScenario;
  controls: Controls;
  id: string;
  created: number;
  model: string;
  usage: ChatUsage | null;
  /** `stream_options.include_usage`: only then does a stream carry usage at all. */
  includeUsage: boolean;
  obfuscate: boolean;
}

export function chatPlayback(body: RequestBody, controls: Controls): Playback {
  const answer = decide(body, controls);
  if (body.stream === true) return streamPlayback(answer);
  const payload = completion(answer);
  return nonStreamingPlayback(answer.scenario, payload, fromChatUsage(answer.usage));
}

function decide(body: RequestBody, controls: Controls): Answer {
  const scenario = controls.scenario ?? 'text';
  if (!isChatScenario(scenario)) {
    throw new ControlError('x-sim-scenario', `"${scenario}" does not apply to chat completions`);
  }
  const defaults = DEFAULT_USAGE[scenario] ?? emptyTotals();
  const options = isRecord(body.stream_options) ? body.stream_options : {};
  return {
    body,
    scenario,
    controls,
    id: chatCompletionId(),
    created: Math.floor(Date.now() / 1000),
    model: typeof body.model === 'string' ? body.model : 'gpt-4.1',
    usage: overrideUsage(toChatUsage(defaults), controls.usage, [
      'prompt_tokens',
      'completion_tokens',
    ]),
    includeUsage: options.include_usage === true,
    obfuscate: options.include_obfuscation !== false,
  };
}

/**
 * Role chunk, one chunk per delta, a finishing chunk, then (when asked for) a usage chunk with
 * empty `choices`, then `[DONE]`. The failing scenarios stop after the deltas.
 */
function streamPlayback(answer: Answer): Playback {
  const chunks = answer.scenario === 'tool_call' ? toolCallDeltas(answer) : textDeltas(answer);
  const frames: Frame[] = chunks.map((delta) => ({ chunk: dataEvent(chunk(answer, delta, null)) }));
  const ending = appendFailure(answer, frames);
  if (ending) return { status: 200, headers: SSE_HEADERS, frames, ending };

  frames.push({ chunk: dataEvent(chunk(answer, {}, finishReason(answer.scenario))) });
  if (answer.includeUsage) {
    const usageChunk = { ...base(answer), choices: [], usage: answer.usage };
    frames.push({ chunk: dataEvent(usageChunk), usage: fromChatUsage(answer.usage) });
  }
  frames.push({ chunk: DONE_EVENT });
  return { status: 200, headers: SSE_HEADERS, frames, ending: 'end' };
}

/** Adds what a failing scenario sends last and says how it ends; `undefined` if it finishes. */
function appendFailure(answer: Answer, frames: Frame[]): Playback['ending'] | undefined {
  switch (answer.scenario) {
    case 'error_event':
      // Chat has no `error` event type: the error object arrives as a `data:` payload.
      frames.push({ chunk: dataEvent(serverError()) });
      return 'end';
    case 'premature_close':
      return 'end';
    case 'reset':
      return 'destroy';
    default:
      return undefined;
  }
}

function textDeltas(answer: Answer): Record<string, unknown>[] {
  const role = { role: 'assistant', content: '', refusal: null };
  return [role, ...answerPieces(answer.controls.events).map((content) => ({ content }))];
}

function toolCallDeltas(answer: Answer): Record<string, unknown>[] {
  const call = { index: 0, id: callId(), type: 'function' };
  const opening = {
    role: 'assistant',
    content: null,
    tool_calls: [{ ...call, function: { name: functionName(answer.body), arguments: '' } }],
    refusal: null,
  };
  const pieces = argumentPieces(answer.controls.events);
  const rest = pieces.map((args) => ({
    tool_calls: [{ index: 0, function: { arguments: args } }],
  }));
  return [opening, ...rest];
}

function chunk(answer: Answer, delta: Record<string, unknown>, finish: string | null) {
  const choice = { index: 0, delta, logprobs: null, finish_reason: finish };
  const usage = answer.includeUsage ? { usage: null } : {};
  const pad = answer.obfuscate ? { obfuscation: obfuscation() } : {};
  return { ...base(answer), choices: [choice], ...usage, ...pad };
}

function base(answer: Answer) {
  return {
    id: answer.id,
    object: 'chat.completion.chunk',
    created: answer.created,
    model: answer.model,
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

function completion(answer: Answer) {
  return {
    id: answer.id,
    object: 'chat.completion',
    created: answer.created,
    model: answer.model,
    choices: [
      {
        index: 0,
        message: message(answer),
        logprobs: null,
        finish_reason: finishReason(answer.scenario),
      },
    ],
    usage: answer.usage,
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

function message(answer: Answer): Record<string, unknown> {
  const n = answer.controls.events;
  if (answer.scenario !== 'tool_call') {
    const content = answerPieces(n).join('');
    return { role: 'assistant', content, refusal: null, annotations: [] };
  }
  const fn = { name: functionName(answer.body), arguments: argumentPieces(n).join('') };
  const call = { id: callId(), type: 'function', function: fn };
  return { role: 'assistant', content: null, tool_calls: [call], refusal: null, annotations: [] };
}

function finishReason(scenario: ChatScenario): string {
  if (scenario === 'tool_call') return 'tool_calls';
  return scenario === 'incomplete' ? 'length' : 'stop';
}

function functionName(body: RequestBody): string {
  const tools = Array.isArray(body.tools) ? (body.tools as unknown[]) : [];
  for (const tool of tools) {
    if (isRecord(tool) && isRecord(tool.function) && typeof tool.function.name === 'string') {
      return tool.function.name;
    }
  }
  return DEFAULT_FUNCTION;
}
