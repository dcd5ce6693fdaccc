import { randomFillSync } from 'node:crypto';

/** Random bytes drawn from the system at a time: ids for about a hundred exchanges. */
const POOL_BYTES = 4096;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * New trace and span ids, in the lowercase hex that W3C Trace Context carries. The random bytes
 * come from the system's generator a few kilobytes at a time and are turned into hex text at
 * once; each id is then a slice of that text, which V8 makes without copying. The SDK's
 * generator instead writes and converts a small buffer for every id, which showed in profiles of
 * the request path.
 */
export class TraceIds {
  private hex = '';
  private at = 0;

  traceId(): string {
    const id = this.take(32);
    return id === ZERO_TRACE_ID ? this.traceId() : id;
  }

  spanId(): string {
    const id = this.take(16);
    return id === ZERO_SPAN_ID ? this.spanId() : id;
  }

  private take(chars: number): string {
    if (this.at + chars > this.hex.length) {
      this.hex = randomFillSync(Buffer.allocUnsafe(POOL_BYTES)).toString('hex');
      this.at = 0;
    }
    return this.hex.slice(this.at, (this.at += chars));
  }
}
