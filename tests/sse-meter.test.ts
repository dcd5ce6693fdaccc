import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SKIPPED_STRING, type UsageReader } from '../src/protocols/reader.js';
import { ResponseTap } from '../src/tap/response-tap.js';
import { cut, offsetsIn } from './support/cuts.js';

/**
 * What a usage reader receives from an SSE answer, however it is framed and cut into chunks:
 * through the tap as it meters a stream on the side, and as it filters one event by event.
 * Either way the client gets every byte.
 */

type Received = [type: string | undefined, data: string];

/** A reader that records the events it is given and hides none. */
class RecordingReader implements UsageReader {
  readonly events: Received[] = [];
  readonly hideLastEvent = false;

  onEvent(type: string | undefined, data: string): void {
    this.events.push([type, data]);
  }

  onJson(): void {}
}

const SSE = { 'content-type': 'text/event-stream' };
const WAYS = [
  { way: 'metered on the side', filter: false },
  { way: 'filtered event by event', filter: true },
];

/** What the reader received from `chunks`, and what the client got. */
function tapThrough(chunks: Buffer[], filter: boolean) {
  const reader = new RecordingReader();
  const tap = new ResponseTap(SSE, reader, filter);
  const forwarded: Buffer[] = [];
  for (const chunk of chunks) {
    const out = tap.write(chunk);
    if (out) forwarded.push(out);
  }
  const { rest } = tap.end();
  if (rest) forwarded.push(rest);
  return { events: reader.events, forwarded: Buffer.concat(forwarded) };
}

/** The events eventsource-parser, an SSE client parser, finds in the whole text. It knows a
 * byte order mark only as undecoded bytes, so it gets the text without one. A stream's last CR
 * is a line break, though that parser waits for an LF that might follow: it gets one. */
function reference(text: string): Received[] {
  const events: Received[] = [];
  const parser = createParser({ onEvent: (e) => events.push([e.event, e.data]) });
  const body = text.replace(/^\uFEFF/, '');
  parser.feed(body.endsWith('\r') ? `${body}\n` : body);
  return events;
}

/** Field values with multi-byte characters, colons, spaces and quotes, but no line break. */
const value = fc.string({
  unit: fc.constantFrom('a', 'é', '日', '🚦', ':', ' ', '"', '{'),
  maxLength: 8,
});

/** Every kind of line an SSE stream may hold, blank lines (which end events) included. */
const line = fc.oneof(
  value.map((v) => `data: ${v}`),
  value.map((v) => `data:${v}`),
  fc.constant('data'),
  value.map((v) => `event: ${v}`),
  value.map((v) => `: ${v}`),
  value.map((v) => `id: ${v}`),
  fc.constant('retry: 3000'),
  value.map((v) => `x-unknown:${v}`),
  fc.constant(''),
  fc.constant(''),
);

const stream = fc
  .tuple(fc.boolean(), fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n', '\r'))))
  .map(([bom, lines]) => (bom ? '\uFEFF' : '') + lines.map(([l, end]) => l + end).join(''));

describe.each(WAYS)('SSE events $way', ({ filter }) => {
  const receives = (text: string) => tapThrough([Buffer.from(text)], filter).events;

  it('match what an SSE client parses, however the stream is framed and cut', () => {
    fc.assert(
      fc.property(
        stream.chain((text) => fc.tuple(fc.constant(text), offsetsIn(Buffer.from(text)))),
        ([text, offsets]) => {
          const body = Buffer.from(text);
          const got = tapThrough(cut(body, offsets), filter);
          expect(got.events).toEqual(reference(text));
          expect(got.forwarded.equals(body)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('arrive the same when cut at any one byte, or into single bytes', () => {
    const lines = ['event: delta', 'data: {"t":"日🚦"}', '', ': ping', '', 'data: 2', '', ''];
    const expected: Received[] = [
      ['delta', '{"t":"日🚦"}'],
      [undefined, '2'],
    ];
    for (const end of ['\n', '\r\n', '\r']) {
      const body = Buffer.from(lines.join(end));
      for (let at = 0; at <= body.length; at++) {
        expect(tapThrough(cut(body, [at]), filter).events).toEqual(expected);
      }
      const bytes = [...body].map((byte) => Buffer.from([byte]));
      expect(tapThrough(bytes, filter).events).toEqual(expected);
    }
  });

  it('join data lines with LF, lose one space after the colon, pass over other fields', () => {
    const text = ': ok\nid: 7\nevent: delta\ndata: {"a":\ndata:  1}\nretry: 5\nfoo\n\n';
    expect(receives(text)).toEqual([['delta', '{"a":\n 1}']]);
  });

  it('are not dispatched without a data line; an empty data line is data', () => {
    expect(receives('event: ping\n\n: only a comment\n\ndata:\n\n')).toEqual([[undefined, '']]);
  });

  it('lose the byte order mark that opens the stream', () => {
    expect(receives('\uFEFFdata: 1\n\n')).toEqual([[undefined, '1']]);
    const cutInBom = cut(Buffer.from('\uFEFFdata: 1\n\n'), [1, 2]);
    expect(tapThrough(cutInBom, filter).events).toEqual([[undefined, '1']]);
  });

  it('end with the stream at a last bare CR, but not without their blank line', () => {
    expect(receives('data: 1\r\rdata: 2\r\r')).toEqual([
      [undefined, '1'],
      [undefined, '2'],
    ]);
    expect(receives('data: 1\n\ndata: 2\n')).toEqual([[undefined, '1']]);
  });
});

/** A Responses `response.completed` event carrying a generated image. */
function completed(image: string) {
  return {
    type: 'response.completed',
    response: {
      id: 'resp_1',
      model: 'gpt-5 ü 🚦',
      output: [{ type: 'image_generation_call', result: image, note: 'say "hi"' }],
      usage: { input_tokens: 12, output_tokens: 34 },
      tool_usage: { image_gen: { input_tokens: 5, output_tokens: 1056 } },
    },
  };
}

/** `text` as SSE bytes cut into chunks of 64 kB, as a large event comes off the network. */
function inChunks(text: string): Buffer[] {
  const body = Buffer.from(text);
  const size = 64 * 1024;
  return Array.from({ length: Math.ceil(body.length / size) }, (_, i) =>
    body.subarray(i * size, (i + 1) * size),
  );
}

/** What a reader of a large event sees of `value`: the strings that take more than 4,096 bytes
 * of JSON replaced by the placeholder. */
function skimmed(value: unknown): unknown {
  if (typeof value === 'string') {
    const long = Buffer.byteLength(JSON.stringify(value)) - 2 > 4096;
    return long ? SKIPPED_STRING : value;
  }
  if (Array.isArray(value)) return value.map(skimmed);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, skimmed(v)]));
  }
  return value;
}

/** Strings around the 4,096-byte limit, full of what is hard to skip: escaped quotes, runs of
 * backslashes, escaped line breaks and multi-byte characters. */
const hardString = fc
  .tuple(
    fc.string({ unit: fc.constantFrom('a', '"', '\\', 'é', '🚦', '\n', '/'), minLength: 1 }),
    fc.integer({ min: 3900, max: 4300 }),
  )
  .map(([pattern, bytes]) => {
    const unit = Buffer.byteLength(JSON.stringify(pattern)) - 2;
    return pattern.repeat(Math.ceil(bytes / unit));
  });

/** A terminal event with short fields, hard strings and an image of 40 to 90 kB. */
interface LargeEvent {
  usage: { input_tokens: number; output_tokens: number };
  texts: string[];
  imageBytes: number;
}

const largeEvent: fc.Arbitrary<LargeEvent> = fc.record({
  usage: fc.record({ input_tokens: fc.nat(), output_tokens: fc.nat() }),
  texts: fc.array(fc.oneof(hardString, fc.string()), { maxLength: 6 }),
  imageBytes: fc.integer({ min: 40_000, max: 90_000 }),
});

function eventValue({ usage, texts, imageBytes }: LargeEvent) {
  // The image first: the strings after it arrive once the event is known to be large.
  return { type: 'response.completed', image: 'iVBO'.repeat(imageBytes / 4), usage, texts };
}

const sseOf = (value: unknown) => Buffer.from(`event: x\ndata: ${JSON.stringify(value)}\n\n`);

/** Cuts anywhere, and next to quotes, backslashes and multi-byte characters. */
const hardCut = (byte: number) => byte === 0x22 || byte === 0x5c || byte >= 0x80;

describe.each(WAYS)('large events $way', ({ filter }) => {
  it('reach the reader skimmed the same however they are cut', () => {
    const cases = largeEvent.chain((event) =>
      fc.tuple(fc.constant(event), offsetsIn(sseOf(eventValue(event)), hardCut)),
    );
    fc.assert(
      fc.property(cases, ([event, offsets]) => {
        const value = eventValue(event);
        const body = sseOf(value);
        const [[, data]] = tapThrough(cut(body, offsets), filter).events;
        expect(JSON.parse(data)).toEqual(body.length > 64 * 1024 ? skimmed(value) : value);
      }),
      { numRuns: 40 },
    );
  });

  it('reach the reader with long strings skipped and every short field as sent', () => {
    const image = 'iVBORw0KGgoAAAANSUhEUgAA'.repeat(180_000);
    const text = `event: response.completed\ndata: ${JSON.stringify(completed(image))}\n\n`;
    const { events, forwarded } = tapThrough(inChunks(text), filter);
    expect(forwarded.toString()).toBe(text);
    expect(events).toHaveLength(1);
    const [type, data] = events[0];
    expect(type).toBe('response.completed');
    expect(data.length).toBeLessThan(1000);
    expect(JSON.parse(data)).toEqual(completed(SKIPPED_STRING));
  });

  it('keep strings whole in an event of up to 64 KiB, however long each one is', () => {
    const data = JSON.stringify(completed('x'.repeat(60_000)));
    expect(tapThrough(inChunks(`data: ${data}\n\n`), filter).events).toEqual([[undefined, data]]);
  });

  it('find the end of long strings full of escaped quotes and backslashes', () => {
    // An escaped quote, escaped backslashes, and a backslash right before the closing quote.
    const tricky = `${'say "hi" \\ '.repeat(10_000)}\\`;
    const text = `data: ${JSON.stringify(completed(tricky))}\n\n`;
    const [[, data]] = tapThrough(inChunks(text), filter).events;
    expect(JSON.parse(data)).toEqual(completed(SKIPPED_STRING));
  });

  it('are not misread after a stray quote outside the data', () => {
    const data = JSON.stringify(completed('x'.repeat(70_000)));
    const text = `: a "stray quote\nevent: x\ndata: ${data}\n\n`;
    const [[, received]] = tapThrough(inChunks(text), filter).events;
    expect(JSON.parse(received)).toEqual(completed(SKIPPED_STRING));
  });

  it('stop metering the stream above 64 MiB; the client still gets every byte', () => {
    const mib = Buffer.alloc(1024 * 1024, 'A');
    const chunks = [
      Buffer.from('data: 1\n\ndata: "'),
      ...Array.from({ length: 65 }, () => mib),
      Buffer.from('"\n\ndata: 2\n\n'),
    ];
    const { events, forwarded } = tapThrough(chunks, filter);
    expect(events).toEqual([[undefined, '1']]);
    expect(forwarded.equals(Buffer.concat(chunks))).toBe(true);
  });
});
