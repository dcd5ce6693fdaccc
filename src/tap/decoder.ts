import zlib from 'node:zlib';
import type { Transform } from 'node:stream';

/** The content codings Tollgate can decode to meter an answer (Node 20 has no zstd). */
export const DECODABLE_ENCODINGS = ['gzip', 'deflate', 'br'] as const;

/** Something that consumes decoded bytes. */
export interface ByteSink {
  write(chunk: Buffer): void;
  end(): void;
}

/**
 * Decodes a compressed answer for metering only; the client always gets the bytes as they came.
 * Returns the sink itself for an uncompressed answer, and null for a coding it cannot read
 * (the answer then passes unmetered). Corrupt data ends metering of that answer quietly.
 */
export function decodingSink(contentEncoding: string | undefined, sink: ByteSink): ByteSink | null {
  const coding = contentEncoding?.trim().toLowerCase();
  if (!coding || coding === 'identity') return sink;
  const inflate = createDecoder(coding);
  if (!inflate) return null;

  let failed = false;
  const done = new Promise<void>((resolve) => {
    inflate.on('data', (chunk: Buffer) => sink.write(chunk));
    inflate.on('end', () => {
      sink.end();
      resolve();
    });
    inflate.on('error', () => {
      failed = true;
      resolve();
    });
  });
  return new DecodingSink(inflate, done, () => failed);
}

/** zlib works asynchronously: `done` settles only once every decoded byte was read (or the
 * data proved corrupt). */
export class DecodingSink implements ByteSink {
  constructor(
    private readonly inflate: Transform,
    readonly done: Promise<void>,
    private readonly failed: () => boolean,
  ) {}

  write(chunk: Buffer): void {
    if (!this.failed()) this.inflate.write(chunk);
  }

  end(): void {
    if (!this.failed()) this.inflate.end();
  }
}

function createDecoder(coding: string): Transform | null {
  // Upstreams flush compressed SSE per event; decoding must accept streams that stop mid-block.
  const flush = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  if (coding === 'gzip' || coding === 'x-gzip') return zlib.createGunzip(flush);
  if (coding === 'deflate') return zlib.createInflate(flush);
  if (coding === 'br') {
    return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
  }
  return null;
}
