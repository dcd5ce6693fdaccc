import { callId, itemId, obfuscation } from './ids.js';
import { imageBase64, type ImageFormat } from './image-formats.js';
import type { ResponsesEventLog } from './sse.js';

/**
 * The output items of a Responses answer and the stream events that build each one, in the
 * order the real API sends them. Every function emits an item's events into the log and
 * returns the item as it ends up in `response.output`.
 */

export type OutputItem = Record<string, unknown> & { id: string; type: string };

export interface ItemStream {
  log: ResponsesEventLog;
  outputIndex: number;
  /** Whether deltas carry an `obfuscation` field (`stream_options.include_obfuscation`). */
  obfuscate: boolean;
}

/** `completed` and `incomplete` close the message; `cut` stops after the last delta. */
export type MessageEnding = 'completed' | 'incomplete' | 'cut';

export function streamMessage(s: ItemStream, pieces: string[], ending: MessageEnding): OutputItem {
  const id = itemId('msg');
  const at = { item_id: id, output_index: s.outputIndex, content_index: 0 };
  const item = { id, type: 'message', status: 'in_progress', content: [], role: 'assistant' };
  s.log.emit('response.output_item.added', { output_index: s.outputIndex, item });
  s.log.emit('response.content_part.added', { ...at, part: textPart('') });
  for (const delta of pieces) {
    s.log.emit('response.output_text.delta', { ...at, delta, logprobs: [], ...pad(s) });
  }

  const text = pieces.join('');
  if (ending === 'cut') return { ...item, status: 'incomplete', content: [textPart(text)] };
  const done = { ...item, status: ending, content: [textPart(text)] };
  s.log.emit('response.output_text.done', { ...at, text, logprobs: [] });
  s.log.emit('response.content_part.done', { ...at, part: textPart(text) });
  s.log.emit('response.output_item.done', { output_index: s.outputIndex, item: done });
  return done;
}

export function streamReasoning(s: ItemStream, pieces: string[]): OutputItem {
  const id = itemId('rs');
  const at = { item_id: id, output_index: s.outputIndex, summary_index: 0 };
  const item = { id, type: 'reasoning', summary: [] };
  s.log.emit('response.output_item.added', { output_index: s.outputIndex, item });
  s.log.emit('response.reasoning_summary_part.added', { ...at, part: summaryPart('') });
  for (const delta of pieces) {
    s.log.emit('response.reasoning_summary_text.delta', { ...at, delta, ...pad(s) });
  }

  const text = pieces.join('');
  const done = { ...item, summary: [summaryPart(text)] };
  s.log.emit('response.reasoning_summary_text.done', { ...at, text });
  s.log.emit('response.reasoning_summary_part.done', { ...at, part: summaryPart(text) });
  s.log.emit('response.output_item.done', { output_index: s.outputIndex, item: done });
  return done;
}

export function streamFunctionCall(s: ItemStream, name: string, pieces: string[]): OutputItem {
  const id = itemId('fc');
  const at = { item_id: id, output_index: s.outputIndex };
  const item = {
    id,
    type: 'function_call',
    status: 'in_progress',
    arguments: '',
    call_id: callId(),
    name,
  };
  s.log.emit('response.output_item.added', { output_index: s.outputIndex, item });
  for (const delta of pieces) {
    s.log.emit('response.function_call_arguments.delta', { ...at, delta, ...pad(s) });
  }

  const args = pieces.join('');
  const done = { ...item, status: 'completed', arguments: args };
  s.log.emit('response.function_call_arguments.done', { ...at, name, arguments: args });
  s.log.emit('response.output_item.done', { output_index: s.outputIndex, item: done });
  return done;
}

export interface ImageRequest {
  /** Approximate length of the final image's base64. */
  bytes: number;
  /** The tool's `size`, echoed on the item. */
  size: string;
  /** The tool's `output_format`. */
  format: ImageFormat;
  /** How many partial images come before the final one. */
  partials: number;
  /** Generation time before each partial image and before the final one. */
  delayMs: number;
}

/**
 * An image tool call: partial images (each a quarter of the final size), then the whole image
 * in `output_item.done`'s `item.result`, which is what makes these events megabytes long.
 */
export function streamImage(s: ItemStream, image: ImageRequest): OutputItem {
  const id = itemId('ig');
  const at = { output_index: s.outputIndex, item_id: id };
  const item = { id, type: 'image_generation_call', status: 'in_progress', result: null };
  s.log.emit('response.output_item.added', { output_index: s.outputIndex, item });
  s.log.emit('response.image_generation_call.in_progress', at);
  s.log.emit('response.image_generation_call.generating', at);
  const partial = imageBase64(image.format, Math.floor(image.bytes / 4), image.size);
  for (let index = 0; index < image.partials; index++) {
    s.log.pauseBeforeNext(image.delayMs);
    s.log.emit('response.image_generation_call.partial_image', {
      ...at,
      partial_image_index: index,
      partial_image_b64: partial,
    });
  }
  s.log.pauseBeforeNext(image.delayMs);
  s.log.emit('response.image_generation_call.completed', at);

  const done = {
    ...item,
    status: 'completed',
    background: 'opaque',
    output_format: image.format,
    quality: 'medium',
    size: image.size,
    revised_prompt: 'A simulated picture of noise.',
    result: imageBase64(image.format, image.bytes, image.size),
  };
  s.log.emit('response.output_item.done', { output_index: s.outputIndex, item: done });
  return done;
}

function textPart(text: string): Record<string, unknown> {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

function summaryPart(text: string): Record<string, unknown> {
  return { type: 'summary_text', text };
}

function pad(s: ItemStream): { obfuscation?: string } {
  return s.obfuscate ? { obfuscation: obfuscation() } : {};
}
