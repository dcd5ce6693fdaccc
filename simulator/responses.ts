import {
  answerPieces,
  argumentPieces,
  DEFAULT_FUNCTION,
  summaryPieces,
  svgPieces,
} from './content.js';
import type { Controls } from './controls.js';
import { serverError } from './errors.js';
import { itemId } from './ids.js';
import { imageFormatOf } from './image-formats.js';
import { nonStreamingPlayback, SSE_HEADERS, type Playback } from './playback.js';
import {
  streamFunctionCall,
  streamImage,
  streamMessage,
  streamReasoning,
  type ImageRequest,
  type ItemStream,
  type OutputItem,
} from './responses-items.js';
import { DEFAULT_USAGE, type Scenario } from './scenarios.js';
import { ResponsesEventLog } from './sse.js';
import {
  emptyTotals,
  fromResponsesUsage,
  isRecord,
  overrideUsage,
  toImageGenUsage,
  toResponsesUsage,
  type ImageGenUsage,
  type ResponsesUsage,
  type TokenTotals,
} from './usage.js';

/** `POST /v1/responses` and `POST /v1/responses/compact`. */

type RequestBody = Record<string, unknown>;

/** Everything one answer is decided from, fixed before the first event. */
interface Answer {
  body: RequestBody;
  scenario: Scenario;
  controls: Controls;
  id: string;
  createdAt: number;
  obfuscate: boolean;
  usage: ResponsesUsage | null;
  /** `tool_usage.image_gen`; only an answer that generated an image has one. */
  imageGen: ImageGenUsage | null;
}

const USAGE_SUM = ['input_tokens', 'output_tokens'] as const;

export function responsesPlayback(body: RequestBody, controls: Controls): Playback {
  const answer = decide(body, controls);
  if (body.stream === true) return streamPlayback(answer);

  const log = new ResponsesEventLog(); // the events are dropped; only the items are kept
  const output = emitOutput(answer, log);
  const status = terminalStatus(answer.scenario);
  return nonStreamingPlayback(answer.scenario, finalResponse(answer, status, output), sent(answer));
}

/**
 * Compaction never streams and never runs tools: its output is the conversation's user
 * messages followed by one opaque compaction item.
 */
export function compactPlayback(body: RequestBody, controls: Controls): Playback {
  const scenario = controls.scenario ?? 'text';
  const defaults = DEFAULT_USAGE[scenario] ?? emptyTotals();
  const usage = overrideUsage(toResponsesUsage(defaults), controls.usage, USAGE_SUM);
  const payload = {
    id: itemId('resp'),
    object: 'response.compaction',
    created_at: unixSeconds(),
    output: [...userMessages(body.input), compactionItem()],
    usage,
  };
  return nonStreamingPlayback(scenario, payload, fromResponsesUsage(usage, null));
}

function decide(body: RequestBody, controls: Controls): Answer {
  const scenario = controls.scenario ?? (imageTool(body) ? 'image' : 'text');
  const defaults = DEFAULT_USAGE[scenario] ?? emptyTotals();
  const imageGen = toImageGenUsage(defaults);
  const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
  return {
    body,
    scenario,
    controls,
    id: itemId('resp'),
    createdAt: unixSeconds(),
    obfuscate: streamOptions.include_obfuscation !== false,
    usage: overrideUsage(toResponsesUsage(defaults), controls.usage, USAGE_SUM),
    imageGen: scenario === 'image' ? overrideUsage(imageGen, controls.imageUsage, USAGE_SUM) : null,
  };
}

function streamPlayback(answer: Answer): Playback {
  const log = new ResponsesEventLog();
  log.pauseBeforeNext(answer.controls.imageDelayMs);
  log.emit('response.created', { response: responseObject(answer, 'in_progress', []) });
  log.emit('response.in_progress', { response: responseObject(answer, 'in_progress', []) });
  const output = emitOutput(answer, log);
  const ending = emitEnding(answer, log, output);
  return { status: 200, headers: SSE_HEADERS, frames: log.frames, ending };
}

function emitOutput(answer: Answer, log: ResponsesEventLog): OutputItem[] {
  const n = answer.controls.events;
  const at = (outputIndex: number): ItemStream => ({
    log,
    outputIndex,
    obfuscate: answer.obfuscate,
  });
  switch (answer.scenario) {
    case 'text':
      return [streamMessage(at(0), answerPieces(n), 'completed')];
    case 'reasoning':
      return [
        streamReasoning(at(0), summaryPieces(n)),
        streamMessage(at(1), answerPieces(n), 'completed'),
      ];
    case 'tool_call':
      return [streamFunctionCall(at(0), functionName(answer.body), argumentPieces(n))];
    case 'image':
      return [streamImage(at(0), imageRequest(answer))];
    case 'image_fallback':
      return [streamMessage(at(0), svgPieces(n), 'completed')];
    case 'incomplete':
      return [streamMessage(at(0), answerPieces(n), 'incomplete')];
    default:
      // The failing scenarios break off in the middle of the message.
      return [streamMessage(at(0), answerPieces(n), 'cut')];
  }
}

/** The terminal event, a bare `error` event, or nothing; then how the connection ends. */
function emitEnding(answer: Answer, log: ResponsesEventLog, output: OutputItem[]) {
  switch (answer.scenario) {
    case 'error_event': {
      const { code, message, param } = serverError().error;
      log.emit('error', { code, message, param });
      return 'end';
    }
    case 'premature_close':
      return 'end';
    case 'reset':
      return 'destroy';
    default: {
      const status = terminalStatus(answer.scenario);
      const response = finalResponse(answer, status, output);
      log.emit(`response.${status}`, { response }, sent(answer));
      return 'end';
    }
  }
}

function terminalStatus(scenario: Scenario): 'completed' | 'incomplete' | 'failed' {
  if (scenario === 'incomplete' || scenario === 'failed') return scenario;
  return 'completed';
}

function finalResponse(answer: Answer, status: string, output: OutputItem[]) {
  const extra: Record<string, unknown> = { usage: answer.usage };
  if (answer.imageGen) extra.tool_usage = { image_gen: answer.imageGen };
  if (status === 'completed') extra.completed_at = unixSeconds();
  if (status === 'incomplete') extra.incomplete_details = { reason: 'max_output_tokens' };
  if (status === 'failed') {
    const { code, message } = serverError().error;
    extra.error = { code, message };
  }
  return responseObject(answer, status, output, extra);
}

/** The `response` object; `created` and `in_progress` carry it with `usage: null`. */
function responseObject(
  answer: Answer,
  status: string,
  output: OutputItem[],
  extra: Record<string, unknown> = {},
) {
  const body = answer.body;
  return {
    id: answer.id,
    object: 'response',
    created_at: answer.createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: typeof body.model === 'string' ? body.model : 'gpt-4.1',
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: {
      effort: isRecord(body.reasoning) ? (body.reasoning.effort ?? null) : null,
      summary: null,
    },
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: null,
    user: null,
    metadata: body.metadata ?? {},
    ...extra,
  };
}

/** What the terminal event or body reports, read back from the wire shape. */
function sent(answer: Answer): TokenTotals {
  return fromResponsesUsage(answer.usage, answer.imageGen);
}

function imageTool(body: RequestBody): Record<string, unknown> | undefined {
  const tools = Array.isArray(body.tools) ? (body.tools as unknown[]) : [];
  return tools.find(
    (t): t is Record<string, unknown> => isRecord(t) && t.type === 'image_generation',
  );
}

/** The tool's size, format and partial images (one unless it says; the real default is 0). */
function imageRequest(answer: Answer): ImageRequest {
  const tool = imageTool(answer.body);
  const partials = tool?.partial_images;
  return {
    bytes: answer.controls.imageBytes,
    size: imageSize(answer.body),
    format: imageFormatOf(tool),
    partials: Number.isSafeInteger(partials) ? Math.min(3, Math.max(0, partials as number)) : 1,
    delayMs: answer.controls.imageDelayMs,
  };
}

/** `auto` (or no size) is answered with the size the model would pick: a square. */
function imageSize(body: RequestBody): string {
  const size = imageTool(body)?.size;
  return typeof size === 'string' && size !== 'auto' ? size : '1024x1024';
}

function functionName(body: RequestBody): string {
  const tools = Array.isArray(body.tools) ? (body.tools as unknown[]) : [];
  const fn = tools.find((t) => isRecord(t) && t.type === 'function' && typeof t.name === 'string');
  return isRecord(fn) ? String(fn.name) : DEFAULT_FUNCTION;
}

function userMessages(input: unknown): unknown[] {
  if (typeof input === 'string') {
    return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  }
  return Array.isArray(input) ? input.filter((item) => isRecord(item) && item.role === 'user') : [];
}

function compactionItem(): OutputItem {
  const encrypted = Buffer.from(`simulated compaction ${itemId('cmp')}`).toString('base64');
  return { id: itemId('cmp'), type: 'compaction', encrypted_content: encrypted };
}

function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
