import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Exchange } from '../src/exchange.js';
import { MessagesReader } from '../src/protocols/anthropic/messages-reader.js';
import { GenerateReader } from '../src/protocols/gemini/generate-reader.js';
import { ChatReader } from '../src/protocols/openai/chat-reader.js';
import { EmbeddingsReader } from '../src/protocols/openai/embeddings-reader.js';
import { ImagesReader } from '../src/protocols/openai/images-reader.js';
import { ResponsesReader } from '../src/protocols/openai/responses-reader.js';
import type { UsageReader } from '../src/protocols/reader.js';
import { ResponseTap } from '../src/tap/response-tap.js';
import { messagesPlayback } from '../simulator/anthropic.js';
import { chatPlayback } from '../simulator/chat.js';
import { readControls } from '../simulator/controls.js';
import { embeddingsPlayback } from '../simulator/embeddings.js';
import { generatePlayback } from '../simulator/gemini.js';
import { imagesPlayback } from '../simulator/images.js';
import type { Playback } from '../simulator/playback.js';
import { responsesPlayback } from '../simulator/responses.js';
import type { TokenTotals } from '../simulator/usage.js';
import { cut, offsetsIn } from './support/cuts.js';

/**
 * Any chunking of a valid answer meters the same usage and forwards the same bytes; no input at
 * all makes the tap or a reader throw. The valid answers come from the simulated upstream, with
 * multi-byte characters mixed into their text and each of the three SSE line endings.
 */

const SSE = { 'content-type': 'text/event-stream; charset=utf-8' };
const JSON_TYPE = { 'content-type': 'application/json' };

/** One kind of answer: its headers, how to build its reader, and a valid body per framing. */
interface Answer {
  name: string;
  headers: Record<string, string>;
  reader(exchange: Exchange): UsageReader;
  playback(): Playback;
  /** Tollgate asked for the usage chunk itself, so it is cut from what the client gets. */
  hideEvents?: boolean;
  sse: boolean;
}

const controls = (scenario: string, extra: Record<string, string> = {}) =>
  readControls({ 'x-sim-scenario': scenario, 'x-sim-events': '7', ...extra });

const ANSWERS: Answer[] = [
  {
    name: 'Responses stream',
    headers: SSE,
    sse: true,
    reader: (e) => new ResponsesReader(e),
    playback: () =>
      responsesPlayback({ model: 'gpt-5', input: 'x', stream: true }, controls('reasoning')),
  },
  {
    name: 'Responses image stream',
    headers: SSE,
    sse: true,
    reader: (e) => (Object.assign(e, { imageRequest: true }), new ResponsesReader(e)),
    playback: () =>
      responsesPlayback(
        { model: 'gpt-5', input: 'x', stream: true, tools: [{ type: 'image_generation' }] },
        controls('image', { 'x-sim-image-bytes': '3000' }),
      ),
  },
  {
    name: 'Chat stream with usage',
    headers: SSE,
    sse: true,
    reader: (e) => new ChatReader(e, false),
    playback: () =>
      chatPlayback(
        { model: 'gpt-4.1', messages: [], stream: true, stream_options: { include_usage: true } },
        controls('text'),
      ),
  },
  {
    name: 'Chat stream whose usage chunk Tollgate hides',
    headers: SSE,
    sse: true,
    hideEvents: true,
    reader: (e) => new ChatReader(e, true),
    playback: () =>
      chatPlayback(
        { model: 'gpt-4.1', messages: [], stream: true, stream_options: { include_usage: true } },
        controls('tool_call'),
      ),
  },
  {
    name: 'Images stream',
    headers: SSE,
    sse: true,
    reader: (e) => new ImagesReader(e),
    playback: () =>
      imagesPlayback(
        'generation',
        { prompt: 'a cat', stream: true, partial_images: 2 },
        controls('text', { 'x-sim-image-bytes': '2000' }),
      ),
  },
  {
    name: 'Images JSON',
    headers: JSON_TYPE,
    sse: false,
    reader: (e) => new ImagesReader(e),
    playback: () =>
      imagesPlayback(
        'generation',
        { prompt: 'a cat' },
        controls('text', { 'x-sim-image-bytes': '900' }),
      ),
  },
  {
    name: 'Embeddings JSON',
    headers: JSON_TYPE,
    sse: false,
    reader: (e) => new EmbeddingsReader(e),
    playback: () =>
      embeddingsPlayback({ model: 'text-embedding-3-small', input: ['ä', 'b'] }, controls('text')),
  },
  {
    name: 'Anthropic stream',
    headers: SSE,
    sse: true,
    reader: (e) => new MessagesReader(e),
    playback: () =>
      messagesPlayback(
        { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [], stream: true },
        controls('text'),
        { 'anthropic-version': '2023-06-01' },
      ),
  },
  {
    name: 'Gemini SSE',
    headers: SSE,
    sse: true,
    reader: (e) => new GenerateReader(e),
    playback: () =>
      generatePlayback(
        'gemini-2.5-flash:streamGenerateContent',
        new URLSearchParams('alt=sse'),
        { contents: [] },
        controls('reasoning'),
      ),
  },
  {
    name: 'Gemini JSON array',
    headers: JSON_TYPE,
    sse: false,
    reader: (e) => new GenerateReader(e),
    playback: () =>
      generatePlayback(
        'gemini-2.5-flash:streamGenerateContent',
        new URLSearchParams(),
        { contents: [] },
        controls('text'),
      ),
  },
];

type LineEnding = '\n' | '\r\n' | '\r';

/** The answer's bytes, with multi-byte characters in its text and the given line endings. */
function validBody(answer: Answer, lineEnding: LineEnding): { body: Buffer; sent: TokenTotals[] } {
  const playback = answer.playback();
  expect(playback.status, answer.name).toBe(200);
  let text = playback.frames.map((f) => f.chunk.toString()).join('');
  // JSON strings keep non-ASCII characters as they are; the words come from the simulator's text.
  text = text.replaceAll(' answer', ' ánswer 🚦 日本').replaceAll('a cat', 'a cät 🐈');
  // JSON never holds a raw line break, so every LF in an SSE body is framing.
  if (answer.sse) text = text.replaceAll('\n', lineEnding);
  const sent = playback.frames.flatMap((f) => (f.usage ? [f.usage] : []));
  return { body: Buffer.from(text, 'utf8'), sent };
}

/** What the tap made of one chunking: the usage, the ending and the bytes for the client. */
async function tapThrough(answer: Answer, headers: Record<string, string>, chunks: Buffer[]) {
  const exchange = new Exchange('property');
  const reader = answer.reader(exchange);
  const tap = new ResponseTap(headers, reader, answer.hideEvents ?? false);
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    const forwarded = tap.write(chunk);
    if (forwarded) out.push(forwarded);
  }
  const { rest, metered } = tap.end();
  if (rest) out.push(rest);
  await metered;
  return {
    usage: { ...exchange.usage },
    ending: reader.ending,
    firstToken: exchange.firstTokenAt !== undefined,
    forwarded: Buffer.concat(out),
  };
}

/** The usage the simulator reported, in the token kinds a reader fills. */
function expectedUsage(sent: TokenTotals[]) {
  const sum = { host_in: 0, host_out: 0, cache: 0, reasoning: 0, image_in: 0, image_out: 0 };
  for (const usage of sent)
    for (const kind of Object.keys(sum) as TokenKind[]) sum[kind] += usage[kind];
  return sum;
}
type TokenKind = keyof TokenTotals;

const RUNS = { numRuns: 60 };

describe.each(ANSWERS)('$name', (answer) => {
  const endings: LineEnding[] = answer.sse ? ['\n', '\r\n', '\r'] : ['\n'];

  it.each(endings.map((e) => [JSON.stringify(e), e] as const))(
    'any chunking (%s line endings) meters the same usage and forwards the same bytes',
    async (_name, lineEnding) => {
      const { body, sent } = validBody(answer, lineEnding);
      const whole = await tapThrough(answer, answer.headers, [body]);
      // The one-chunk reading is itself right: what the simulator reported, a success.
      expect(whole.ending).toBe('success');
      expect(whole.usage).toMatchObject(expectedUsage(sent));
      if (!answer.hideEvents) expect(whole.forwarded.equals(body)).toBe(true);
      else expect(whole.forwarded.length).toBeLessThan(body.length);

      await fc.assert(
        fc.asyncProperty(offsetsIn(body), async (offsets) => {
          const split = await tapThrough(answer, answer.headers, cut(body, offsets));
          expect(split.usage).toEqual(whole.usage);
          expect(split.ending).toBe(whole.ending);
          expect(split.firstToken).toBe(whole.firstToken);
          expect(split.forwarded.equals(whole.forwarded)).toBe(true);
        }),
        RUNS,
      );
    },
  );

  it.skipIf(answer.hideEvents)(
    'a gzip or br copy cut anywhere is metered from its decoded bytes and forwarded as it came',
    async () => {
      const { body } = validBody(answer, '\n');
      const whole = await tapThrough(answer, answer.headers, [body]);
      const compressed = [
        ['gzip', zlib.gzipSync(body)],
        ['br', zlib.brotliCompressSync(body)],
      ] as const;
      for (const [encoding, bytes] of compressed) {
        const headers = { ...answer.headers, 'content-encoding': encoding };
        await fc.assert(
          fc.asyncProperty(fc.array(fc.nat(bytes.length), { maxLength: 30 }), async (offsets) => {
            const split = await tapThrough(answer, headers, cut(bytes, offsets));
            expect(split.usage).toEqual(whole.usage);
            expect(split.ending).toBe(whole.ending);
            expect(split.forwarded.equals(bytes)).toBe(true);
          }),
          { numRuns: 25 },
        );
      }
    },
  );

  it('arbitrary bytes, in any chunks and any encoding label, never make the tap throw', async () => {
    const encodings = fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'identity', 'zstd');
    const chunks = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(chunks, encodings, async (raw, encoding) => {
        const headers = encoding
          ? { ...answer.headers, 'content-encoding': encoding }
          : answer.headers;
        const input = raw.map((c) => Buffer.from(c));
        const result = await tapThrough(answer, headers, input);
        // Only the event filter re-frames bytes; every other path forwards them untouched.
        if (!answer.hideEvents || encoding) {
          expect(result.forwarded.equals(Buffer.concat(input))).toBe(true);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('arbitrary events and JSON values never make the reader throw', () => {
    const eventName = fc.option(
      fc.constantFrom('error', 'response.completed', 'message_delta', 'message_start', 'x'),
      { nil: undefined },
    );
    const data = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.constantFrom('[DONE]', '{"type":"error"}', '{"usage":{"input_tokens":-1}}'),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(eventName, data), { maxLength: 20 }),
        fc.anything(),
        (events, json) => {
          const exchange = new Exchange('fuzz');
          const reader = answer.reader(exchange);
          for (const [name, text] of events) reader.onEvent(name, text);
          reader.onJson(json);
          reader.onJsonElement?.(json);
          for (const count of Object.values(exchange.usage)) {
            expect(Number.isSafeInteger(count) && count >= 0).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
