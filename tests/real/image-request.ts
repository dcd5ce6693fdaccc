import OpenAI from 'openai';
import type { ResponseCreateParamsStreaming } from 'openai/resources/responses/responses';
import { judgeImageStream, type ImageVerdict, type StreamRecord } from './image-checks.js';
import { floorFor, type MatrixSettings, type TollgateTarget } from './matrix-settings.js';

/** One streamed image request through Tollgate, with the official SDK as the client. */

export interface ImageCombination {
  model: string;
  size: string;
  /** The tool's `output_format`. */
  format: string;
}

export interface ImageResult extends ImageVerdict {
  combination: ImageCombination;
  /** Request sent to the stream's last event. */
  latencyMs: number;
  /** Request sent to the first event; undefined when none came. */
  firstEventMs?: number;
}

/** Extra headers for a combination's requests (the simulated run steers its upstream so). */
export type HeadersFor = (combination: ImageCombination) => Record<string, string>;

export function imageClient(target: TollgateTarget, settings: MatrixSettings): OpenAI {
  return new OpenAI({
    baseURL: `${target.url}/v1`,
    apiKey: target.clientKey,
    // A retry would hide the failure this run is there to see.
    maxRetries: 0,
    timeout: settings.timeoutMs,
  });
}

export async function requestImage(
  client: OpenAI,
  settings: MatrixSettings,
  combination: ImageCombination,
  headers: Record<string, string> = {},
): Promise<ImageResult> {
  const started = performance.now();
  let firstEventMs: number | undefined;
  const record: StreamRecord = { types: [], text: '' };
  try {
    const stream = await client.responses.create(requestBody(settings, combination), { headers });
    for await (const event of stream) {
      firstEventMs ??= performance.now() - started;
      keep(record, event as unknown as Record<string, unknown>);
    }
  } catch (error) {
    record.error = `request failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  const latencyMs = performance.now() - started;

  const expect = { minBase64: floorFor(settings, combination.size), format: combination.format };
  return { ...judgeImageStream(record, expect), combination, latencyMs, firstEventMs };
}

/** Asks for the image tool outright, so the host model cannot answer in words alone. */
function requestBody(settings: MatrixSettings, c: ImageCombination): ResponseCreateParamsStreaming {
  const tool = { type: 'image_generation', size: c.size, output_format: c.format };
  // The SDK's types list the sizes of older image models only; newer ones take larger sizes.
  return {
    model: c.model,
    input: settings.prompt,
    tools: [tool],
    tool_choice: { type: 'image_generation' },
    stream: true,
  } as unknown as ResponseCreateParamsStreaming;
}

/** Keeps the event's type, the image item, the final response and any text. */
function keep(record: StreamRecord, event: Record<string, unknown>): void {
  const type = String(event.type);
  record.types.push(type);
  const item = event.item as Record<string, unknown> | undefined;
  if (type === 'response.output_item.done' && item?.type === 'image_generation_call') {
    record.imageItem = item;
  }
  if (type === 'response.output_text.delta' && typeof event.delta === 'string') {
    record.text += event.delta;
  }
  if (['response.completed', 'response.incomplete', 'response.failed'].includes(type)) {
    record.response = event.response as Record<string, unknown>;
  }
}
