import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';

/**
 * Reads a request body into memory, refusing it as soon as it passes `limit` bytes. Bodies are
 * held whole because a retry on another account must send the same bytes again.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw tooLarge(limit);

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    'body_too_large',
    `Request body is larger than the limit of ${limit} bytes.`,
  );
}
