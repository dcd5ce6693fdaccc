import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors.js';

/** Whether the request says its body is JSON (`application/json` or `application/*+json`). */
export function isJsonContentType(headers: IncomingHttpHeaders): boolean {
  return /^application\/(.+\+)?json\b/i.test((headers['content-type'] ?? '').trim());
}

/** The body of a metered request as a JSON object, or a clear refusal in the caller's protocol. */
export function parseRequestJson(
  headers: IncomingHttpHeaders,
  raw: Buffer,
): Record<string, unknown> {
  if (!isJsonContentType(headers)) {
    const type = headers['content-type'] ?? '';
    throw new GatewayError(
      'unsupported_content_type',
      `Expected Content-Type: application/json, got "${type.slice(0, 100)}".`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new GatewayError('invalid_json', 'The request body is not valid JSON.');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new GatewayError('invalid_json', 'The request body must be a JSON object.');
  }
  return json as Record<string, unknown>;
}

/** A string field of the request, or undefined. */
export function stringField(json: Record<string, unknown>, name: string): string | undefined {
  const value = json[name];
  return typeof value === 'string' ? value : undefined;
}
