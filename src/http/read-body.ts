import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';

/**
 * Reads a request body into memory, refusing it as soon as it passes `limit` bytes. Bodies are
 * held whole because a retry on another account must send the same bytes again.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit));

  // Stream events rather than `for await`: an async iterator costs a promise per chunk and
  // several listeners and objects per request, which a gateway pays on every exchange.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // The rest is left unread: the refusal closes the connection.
      settle();
      req.pause();
      reject(tooLarge(limit));
    };
    const onEnd = () => {
      settle();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      settle();
      reject(err);
    };
    const onClose = () => {
      settle();
      reject(new Error('the client closed the connection before the request body ended'));
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    'body_too_large',
    `Request body is larger than the limit of ${limit} bytes.`,
  );
}
