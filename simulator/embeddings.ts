import { openaiError } from './errors.js';
import { jsonPlayback, type Playback } from './playback.js';
import { emptyTotals, isRecord, type TokenTotals } from './usage.js';
import type { Controls } from './controls.js';

/**
 * `POST /v1/embeddings`: one vector per input, as floats or, with `encoding_format: base64`
 * (the official SDKs' default), as little-endian float32 bytes in base64.
 */
export function embeddingsPlayback(body: Record<string, unknown>, controls: Controls): Playback {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  if (body.input === undefined || inputs.some((i) => typeof i !== 'string' && !Array.isArray(i))) {
    return jsonPlayback(
      400,
      openaiError("'input' is a required property", 'invalid_request_error', 'input'),
    );
  }
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : 1536;
  const base64 = body.encoding_format === 'base64';
  const data = inputs.map((_input, index) => {
    const vector = unitVector(dimensions, index);
    const embedding = base64
      ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
      : vector;
    return { object: 'embedding', index, embedding };
  });
  const promptTokens = inputs.reduce<number>(
    (sum, input) => sum + Math.ceil(String(input).length / 4),
    0,
  );
  const usage = {
    prompt_tokens: promptTokens,
    total_tokens: promptTokens,
    ...(isRecord(controls.usage) ? controls.usage : {}),
  };
  const payload = {
    object: 'list',
    data,
    model: String(body.model ?? 'text-embedding-3-small'),
    usage,
  };
  return jsonPlayback(200, payload, totals(usage.prompt_tokens));
}

function unitVector(dimensions: number, seed: number): number[] {
  const raw = Array.from({ length: dimensions }, (_, i) => Math.sin(seed + i + 1));
  const norm = Math.hypot(...raw) || 1;
  return raw.map((v) => Math.fround(v / norm));
}

function totals(promptTokens: unknown): TokenTotals {
  return {
    ...emptyTotals(),
    host_in: typeof promptTokens === 'number' && promptTokens > 0 ? promptTokens : 0,
  };
}
