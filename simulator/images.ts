import { ControlError, type Controls } from './controls.js';
import { openaiError, serverError } from './errors.js';
import { jsonPlayback, SSE_HEADERS, type Frame, type Playback } from './playback.js';
import { noisePngBase64 } from './png.js';
import { namedEvent } from './sse.js';
import { emptyTotals, isRecord, type TokenTotals } from './usage.js';

/**
 * `POST /v1/images/generations` (JSON) and `/v1/images/edits` (multipart form), as the Images
 * API answers: `{created, data: [{b64_json}], usage}`, or with `stream: true` SSE events
 * `image_generation.partial_image` (`image_edit.*` for edits) and a final `*.completed`.
 */

export type ImageRequest = Record<string, unknown>;

/** What a 1024x1024 medium-quality gpt-image-1 picture costs. */
const DEFAULT_USAGE = {
  input_tokens: 50,
  input_tokens_details: { text_tokens: 50, image_tokens: 0 },
  output_tokens: 1_056,
  total_tokens: 1_106,
};

const SCENARIOS = ['text', 'error_event', 'premature_close', 'reset'];

/** An edit's form fields as a request object (files aside, which the simulator only counts). */
export async function readImageForm(
  body: Buffer,
  contentType: string,
): Promise<ImageRequest | undefined> {
  try {
    const form = await new Response(new Uint8Array(body), {
      headers: { 'content-type': contentType },
    }).formData();
    const fields: ImageRequest = {};
    for (const [name, value] of form) {
      if (typeof value === 'string') fields[name] = name === 'stream' ? value === 'true' : value;
      else fields.images = ((fields.images as number | undefined) ?? 0) + 1;
    }
    return fields;
  } catch {
    return undefined;
  }
}

export function imagesPlayback(
  kind: 'generation' | 'edit',
  body: ImageRequest,
  controls: Controls,
): Playback {
  const scenario = controls.scenario ?? 'text';
  if (!SCENARIOS.includes(scenario)) {
    throw new ControlError('x-sim-scenario', `"${scenario}" does not apply to images`);
  }
  if (typeof body.prompt !== 'string') {
    return jsonPlayback(
      400,
      openaiError(
        "Missing required parameter: 'prompt'.",
        'invalid_request_error',
        'prompt',
        'missing_required_parameter',
      ),
    );
  }
  if (kind === 'edit' && !body.images) {
    return jsonPlayback(
      400,
      openaiError(
        "Missing required parameter: 'image'.",
        'invalid_request_error',
        'image',
        'missing_required_parameter',
      ),
    );
  }
  // `x-sim-usage: null` answers as models that report no usage (dall-e) do.
  const usage =
    controls.usage === null
      ? null
      : { ...DEFAULT_USAGE, ...(isRecord(controls.usage) ? controls.usage : {}) };
  const image = noisePngBase64(controls.imageBytes);
  const meta = {
    size: String(body.size ?? '1024x1024'),
    quality: String(body.quality ?? 'medium'),
    background: 'opaque',
    output_format: 'png',
  };

  if (body.stream === true) return streamPlayback(kind, scenario, image, meta, usage, body);
  if (scenario !== 'text') return jsonPlayback(500, serverError());
  const payload = {
    created: now(),
    ...meta,
    data: [{ b64_json: image }],
    ...(usage ? { usage } : {}),
  };
  return jsonPlayback(200, payload, totals(usage));
}

function streamPlayback(
  kind: 'generation' | 'edit',
  scenario: string,
  image: string,
  meta: Record<string, string>,
  usage: typeof DEFAULT_USAGE | null,
  body: ImageRequest,
): Playback {
  const prefix = kind === 'generation' ? 'image_generation' : 'image_edit';
  const partials = Math.min(3, Math.max(0, Number(body.partial_images ?? 0) || 0));
  const frames: Frame[] = [];
  for (let i = 0; i < partials; i++) {
    const partial = {
      type: `${prefix}.partial_image`,
      b64_json: image.slice(0, 1024),
      created_at: now(),
      ...meta,
      partial_image_index: i,
    };
    frames.push({ chunk: namedEvent(partial) });
  }
  if (scenario === 'error_event') {
    const error: { type: string } = { type: 'error', ...serverError() };
    frames.push({ chunk: namedEvent(error) });
    return { status: 200, headers: SSE_HEADERS, frames, ending: 'end' };
  }
  if (scenario !== 'text') {
    return {
      status: 200,
      headers: SSE_HEADERS,
      frames,
      ending: scenario === 'reset' ? 'destroy' : 'end',
    };
  }
  const completed = {
    type: `${prefix}.completed`,
    b64_json: image,
    created_at: now(),
    ...meta,
    ...(usage ? { usage } : {}),
  };
  frames.push({ chunk: namedEvent(completed), usage: totals(usage) });
  return { status: 200, headers: SSE_HEADERS, frames, ending: 'end' };
}

function totals(usage: typeof DEFAULT_USAGE | null): TokenTotals {
  const n = (v: unknown) => (typeof v === 'number' && v > 0 ? v : 0);
  return { ...emptyTotals(), image_in: n(usage?.input_tokens), image_out: n(usage?.output_tokens) };
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
