import { randomBytes, randomInt } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Prefixes of the ids OpenAI gives a response and its output items. */
export type ItemPrefix = 'resp' | 'msg' | 'rs' | 'fc' | 'ig' | 'cmp';

/** Responses ids are the prefix, an underscore and 50 hex digits (`resp_67cc...`). */
export function itemId(prefix: ItemPrefix): string {
  return `${prefix}_${randomBytes(25).toString('hex')}`;
}

/** `x-request-id` values look like `req_` and 32 hex digits. */
export function requestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}

/** Chat Completions ids are `chatcmpl-` and 29 alphanumerics. */
export function chatCompletionId(): string {
  return `chatcmpl-${alphanumeric(29)}`;
}

/** Function-call ids the model hands back to the client: `call_` and 24 alphanumerics. */
export function callId(): string {
  return `call_${alphanumeric(24)}`;
}

/** `system_fingerprint`: `fp_` and 10 hex digits, stable for one backend configuration. */
export function fingerprint(): string {
  return `fp_${randomBytes(5).toString('hex')}`;
}

/**
 * OpenAI pads stream deltas with an `obfuscation` field of random length so that packet sizes
 * do not reveal token lengths; a client may ask to drop it with
 * `stream_options.include_obfuscation: false`.
 */
export function obfuscation(): string {
  return alphanumeric(randomInt(2, 16));
}

function alphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}
