import { JSONParser } from '@streamparser/json';
import type { UsageReader } from '../protocols/reader.js';
import type { ByteSink } from './decoder.js';
import { JsonMeter } from './json-meter.js';

/** What a reader needs to be fed elements of a streamed JSON array one by one. */
export type ElementReader = UsageReader & { onJsonElement(element: unknown): void };

/**
 * Meters a JSON answer that may be a stream: Gemini's `streamGenerateContent` without
 * `alt=sse` sends one JSON array whose elements arrive over time. Each element is handed to the
 * reader as soon as it is complete (so the first token is timed when it arrives, not when the
 * array closes); an answer that turns out to be a plain object is read whole instead.
 */
export class JsonArrayMeter implements ByteSink {
  private mode: 'undecided' | 'array' | 'whole' | 'broken' = 'undecided';
  private readonly whole: JsonMeter;
  private parser?: JSONParser;

  constructor(private readonly reader: ElementReader) {
    this.whole = new JsonMeter(reader);
  }

  write(chunk: Buffer): void {
    if (this.mode === 'undecided') this.decide(chunk);
    if (this.mode === 'whole') this.whole.write(chunk);
    else if (this.mode === 'array') this.feed(chunk);
  }

  end(): void {
    if (this.mode === 'whole') this.whole.end();
  }

  /** The first byte that is not white space says which kind of answer this is. */
  private decide(chunk: Buffer): void {
    const first = chunk.toString('latin1').trimStart()[0];
    if (first === undefined) return;
    if (first !== '[') {
      this.mode = 'whole';
      return;
    }
    this.mode = 'array';
    // `$.*` emits each element of the top-level array and keeps nothing once it is emitted.
    const parser = new JSONParser({ paths: ['$.*'], keepStack: false });
    parser.onValue = ({ value }) => this.reader.onJsonElement(value);
    parser.onError = () => {
      this.mode = 'broken';
    };
    this.parser = parser;
  }

  private feed(chunk: Buffer): void {
    try {
      this.parser!.write(chunk);
    } catch {
      this.mode = 'broken';
    }
  }
}
