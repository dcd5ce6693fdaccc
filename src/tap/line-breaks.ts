export const LF = 0x0a;
export const CR = 0x0d;

/**
 * Finds the line breaks of SSE bytes from left to right: an LF, a CR, or a CRLF, whose CR is
 * found first. Each byte value is searched for again only once its last hit is passed, so a
 * chunk of many LF-ended lines is not searched through to its end for a CR at every line.
 */
export class LineBreaks {
  private nextLf: number;
  private nextCr: number;

  constructor(private readonly bytes: Buffer) {
    this.nextLf = bytes.indexOf(LF);
    this.nextCr = bytes.indexOf(CR);
  }

  /** The first break at or after `from`, or -1. `from` must never move back. */
  next(from: number): number {
    if (this.nextLf !== -1 && this.nextLf < from) this.nextLf = this.bytes.indexOf(LF, from);
    if (this.nextCr !== -1 && this.nextCr < from) this.nextCr = this.bytes.indexOf(CR, from);
    if (this.nextLf === -1) return this.nextCr;
    if (this.nextCr === -1) return this.nextLf;
    return Math.min(this.nextLf, this.nextCr);
  }
}

/** Where the line that ends with the break at `at` is followed by the next one. */
export function afterBreak(bytes: Buffer, at: number): number {
  return bytes[at] === CR && bytes[at + 1] === LF ? at + 2 : at + 1;
}
