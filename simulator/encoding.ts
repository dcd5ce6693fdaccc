import type { ServerResponse } from 'node:http';
import zlib from 'node:zlib';

/** Encodings the simulator can answer in; zstd is left out because Node 20 cannot decode it. */
export const ENCODINGS = ['gzip', 'br', 'deflate'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/**
 * A response body being written. Every `write` resolves once its bytes were handed to the
 * socket (true) or the connection is gone (false), so a caller never counts as sent what a
 * client cannot have received, and `destroy` never drops bytes already written.
 */
export interface Body {
  write(chunk: string | Buffer): Promise<boolean>;
  end(): Promise<boolean>;
  /** Tears the connection down mid-body, as a reset upstream would. */
  destroy(): void;
  /** Aborted when the connection closes: cancels pauses between events. */
  readonly signal: AbortSignal;
}

export interface BodyOptions {
  encoding: Encoding | undefined;
  /** Garble compressed output after its first part (a decoder must then fail). */
  corrupt: boolean;
  /** Receives a copy of every chunk written to the socket, for byte-for-byte comparisons. */
  record?: Buffer[];
}

/**
 * Picks the first encoding of `preferred` that the request's `accept-encoding` allows,
 * honouring `q=0` and `*`; `undefined` means identity.
 */
export function chooseEncoding(
  acceptEncoding: string | undefined,
  preferred: readonly Encoding[],
): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    weights.set(name, q ? Number(q.slice(2)) : 1);
  }
  return preferred.find((encoding) => (weights.get(encoding) ?? weights.get('*') ?? 0) > 0);
}

/** Sends the status line and headers at once, then returns the body to write. */
export function openBody(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  options: BodyOptions,
): Body {
  const encoded = options.encoding ? { ...headers, 'content-encoding': options.encoding } : headers;
  res.writeHead(status, encoded);
  // Real upstreams send headers before the first event; a client must see them even when the
  // test asked for a pause before the first delta.
  res.flushHeaders();
  const connection = new Connection(res, options.record);
  return options.encoding
    ? new CompressedBody(connection, options.encoding, options.corrupt)
    : new PlainBody(connection);
}

/**
 * The response and the moment its connection closes. A write or end callback may never run
 * once the socket is gone, so every wait also ends on close.
 */
class Connection {
  private readonly aborter = new AbortController();
  readonly closed: Promise<false>;

  constructor(
    readonly res: ServerResponse,
    private readonly record: Buffer[] | undefined,
  ) {
    this.closed = new Promise((resolve) => {
      res.once('close', () => {
        this.aborter.abort();
        resolve(false);
      });
    });
  }

  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  write(chunk: string | Buffer): Promise<boolean> {
    if (this.res.destroyed) return Promise.resolve(false);
    this.record?.push(Buffer.from(chunk));
    const written = new Promise<boolean>((resolve) => {
      this.res.write(chunk, (error) => resolve(!error));
    });
    return Promise.race([written, this.closed]);
  }

  end(): Promise<boolean> {
    if (this.res.destroyed) return Promise.resolve(false);
    const finished = new Promise<boolean>((resolve) => this.res.end(() => resolve(true)));
    return Promise.race([finished, this.closed]);
  }
}

class PlainBody implements Body {
  constructor(private readonly connection: Connection) {}

  get signal(): AbortSignal {
    return this.connection.signal;
  }

  write(chunk: string | Buffer): Promise<boolean> {
    return this.connection.write(chunk);
  }

  end(): Promise<boolean> {
    return this.connection.end();
  }

  destroy(): void {
    this.connection.res.destroy();
  }
}

/**
 * Compresses as one continuous stream, flushed after every write (Z_SYNC_FLUSH, or
 * BROTLI_OPERATION_FLUSH) so each SSE event is decodable as soon as it arrives, as the real
 * API's compressed streams are.
 */
class CompressedBody implements Body {
  private readonly zip: zlib.Gzip | zlib.Deflate | zlib.BrotliCompress;
  private readonly flushKind: number;
  private lastWrite: Promise<boolean> = Promise.resolve(true);
  private flushes = 0;

  constructor(
    private readonly connection: Connection,
    encoding: Encoding,
    private readonly corrupt: boolean,
  ) {
    this.zip = createCompressor(encoding);
    this.flushKind =
      encoding === 'br' ? zlib.constants.BROTLI_OPERATION_FLUSH : zlib.constants.Z_SYNC_FLUSH;
    // zlib pushes a flush's output before it calls the flush callback, so after `flush` the
    // newest socket write is the one covering everything written so far.
    this.zip.on('data', (part: Buffer) => {
      this.lastWrite = connection.write(this.garble(part));
    });
    this.zip.on('error', () => connection.res.destroy());
  }

  get signal(): AbortSignal {
    return this.connection.signal;
  }

  async write(chunk: string | Buffer): Promise<boolean> {
    if (this.signal.aborted) return false;
    this.zip.write(chunk);
    const flushed = new Promise<true>((resolve) =>
      this.zip.flush(this.flushKind, () => resolve(true)),
    );
    if (!(await Promise.race([flushed, this.connection.closed]))) return false;
    this.flushes += 1;
    return this.lastWrite;
  }

  async end(): Promise<boolean> {
    if (this.signal.aborted) return false;
    const drained = new Promise<true>((resolve) => {
      this.zip.once('end', () => resolve(true));
      this.zip.end();
    });
    if (!(await Promise.race([drained, this.connection.closed]))) return false;
    return (await this.lastWrite) && this.connection.end();
  }

  destroy(): void {
    this.zip.destroy();
    this.connection.res.destroy();
  }

  /** With `corrupt`, everything after the first write's output has its bits flipped. */
  private garble(part: Buffer): Buffer {
    if (!this.corrupt || this.flushes === 0) return part;
    return Buffer.from(part.map((byte) => byte ^ 0x5a));
  }
}

function createCompressor(encoding: Encoding): zlib.Gzip | zlib.Deflate | zlib.BrotliCompress {
  if (encoding === 'gzip') return zlib.createGzip();
  if (encoding === 'deflate') return zlib.createDeflate();
  return zlib.createBrotliCompress();
}
