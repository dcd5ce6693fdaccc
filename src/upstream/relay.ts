import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { ResponseTap } from '../tap/response-tap.js';

/**
 * How the upstream body stopped flowing to the client. At `end` the client's socket is left
 * corked: the caller ends the response, then uncorks it.
 */
export type RelayEnd =
  { kind: 'end' } | { kind: 'broken'; error: unknown } | { kind: 'client_gone' };

/**
 * Moves the upstream body to the client chunk by chunk, as it arrives, through the tap. When the
 * client cannot keep up, the upstream body is paused until the client drains, so a slow reader
 * never makes Tollgate buffer a fast upstream's answer.
 */
export function relayBody(
  body: Readable,
  res: ServerResponse,
  tap: ResponseTap | null,
): Promise<RelayEnd> {
  return new Promise((resolve) => {
    // A connection already closed emits no 'close' and never drains: waiting would never end.
    if (res.destroyed) return resolve({ kind: 'client_gone' });
    const resume = () => body.resume();
    body.on('data', (chunk: Buffer) => {
      const out = tap ? tap.write(chunk) : chunk;
      if (out && !res.write(out)) {
        if (res.destroyed) return resolve({ kind: 'client_gone' });
        body.pause();
        res.once('drain', resume);
      }
    });
    body.once('end', () => {
      // The answer's last bytes were most likely written in this very tick and still wait in
      // the socket. Corked, they leave with the end of the response in one write, as the caller
      // ends it, rather than in a write (a system call) of their own before it.
      res.cork();
      resolve({ kind: 'end' });
    });
    body.once('error', (error) => resolve({ kind: 'broken', error }));
    res.once('close', () => resolve({ kind: 'client_gone' }));
  });
}
