import { parseFields } from '../protocols/json-fields.js';
import type { UsageReader } from '../protocols/reader.js';
import { parseJson } from '../protocols/reader.js';

/** A JSON answer larger than this is passed on but not metered. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** Collects a decoded, non-streaming JSON answer and hands it to the reader once complete. */
export class JsonMeter {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly reader: UsageReader) {}

  write(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size <= MAX_JSON_BYTES) this.chunks.push(chunk);
  }

  end(): void {
    if (this.size > MAX_JSON_BYTES) return;
    const text = Buffer.concat(this.chunks, this.size).toString('utf8');
    this.chunks.length = 0;
    const fields = this.reader.jsonFields;
    const body = fields ? parseFields(text, fields) : parseJson(text);
    if (body !== undefined) this.reader.onJson(body);
  }
}
