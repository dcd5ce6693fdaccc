import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { parseSse } from './support/sse.js';

/**
 * The simulated image tool as the image matrix relies on it: the file format the tool's
 * `output_format` asks for, with the requested dimensions and a well-formed structure, the
 * asked number of partial images, and slow generation.
 */

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ compress: false });
});
afterAll(() => sim.close());

type Event = Record<string, unknown> & { type: string };

async function generate(tool: Record<string, unknown>, headers: Record<string, string> = {}) {
  const started = performance.now();
  const res = await fetch(`${sim.url}/responses`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      model: 'gpt-5.5',
      input: 'draw',
      stream: true,
      tools: [{ type: 'image_generation', ...tool }],
    }),
  });
  const text = await res.text();
  const events = parseSse(text).map((e) => JSON.parse(e.data) as Event);
  return { events, ms: performance.now() - started };
}

function finalImage(events: Event[]): { item: Record<string, unknown>; file: Buffer } {
  const done = events.find((e) => e.type === 'response.output_item.done')!;
  const item = done.item as Record<string, unknown>;
  return { item, file: Buffer.from(item.result as string, 'base64') };
}

/** Walks the marker segments up to the scan; returns the frame's dimensions and APP markers. */
function readJpeg(file: Buffer) {
  expect(file.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  expect(file.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
  const markers: number[] = [];
  let size: { width: number; height: number } | undefined;
  let at = 2;
  for (;;) {
    expect(file[at]).toBe(0xff);
    const marker = file[at + 1];
    const length = file.readUInt16BE(at + 2);
    markers.push(marker);
    if (marker === 0xc0)
      size = { height: file.readUInt16BE(at + 5), width: file.readUInt16BE(at + 7) };
    at += 2 + length;
    if (marker === 0xda) break;
  }
  // The entropy-coded scan holds no marker: every 0xFF in it would be stuffed.
  expect(file.subarray(at, -2).includes(0xff)).toBe(false);
  return { markers, size };
}

/** Walks the RIFF chunks; returns their FourCCs and the VP8X and VP8L dimensions. */
function readWebp(file: Buffer) {
  expect(file.toString('latin1', 0, 4)).toBe('RIFF');
  expect(file.readUInt32LE(4)).toBe(file.length - 8);
  expect(file.toString('latin1', 8, 12)).toBe('WEBP');
  const chunks: string[] = [];
  let canvas, lossless;
  let at = 12;
  while (at < file.length) {
    const fourCc = file.toString('latin1', at, at + 4);
    const length = file.readUInt32LE(at + 4);
    const data = file.subarray(at + 8, at + 8 + length);
    chunks.push(fourCc);
    if (fourCc === 'VP8X') {
      canvas = { width: data.readUIntLE(4, 3) + 1, height: data.readUIntLE(7, 3) + 1 };
    }
    if (fourCc === 'VP8L') {
      expect(data[0]).toBe(0x2f);
      const bits = data.readUInt32LE(1);
      lossless = { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    at += 8 + length + (length % 2);
  }
  expect(at).toBe(file.length);
  return { chunks, canvas, lossless };
}

describe('output_format', () => {
  it('jpeg: a baseline JPEG of the requested size, padded with APP15 segments', async () => {
    const { events } = await generate(
      { size: '3840x2160', output_format: 'jpeg' },
      { 'x-sim-image-bytes': '400000' },
    );
    const { item, file } = finalImage(events);
    expect(item).toMatchObject({ output_format: 'jpeg', size: '3840x2160' });
    expect(Math.abs((item.result as string).length - 400_000)).toBeLessThan(8);
    const { markers, size } = readJpeg(file);
    expect(size).toEqual({ width: 3840, height: 2160 });
    expect(markers[0]).toBe(0xe0);
    expect(markers.filter((m) => m === 0xef).length).toBeGreaterThanOrEqual(4);
    expect(markers.slice(-5)).toEqual([0xdb, 0xc0, 0xc4, 0xc4, 0xda]);
  });

  it('webp: an extended-format lossless WebP of the requested size, padded after it', async () => {
    const { events } = await generate(
      { size: '1536x1024', output_format: 'webp' },
      { 'x-sim-image-bytes': '100000' },
    );
    const { item, file } = finalImage(events);
    expect(item).toMatchObject({ output_format: 'webp', size: '1536x1024' });
    const { chunks, canvas, lossless } = readWebp(file);
    expect(chunks).toEqual(['VP8X', 'VP8L', 'TGSP']);
    expect(canvas).toEqual({ width: 1536, height: 1024 });
    expect(lossless).toEqual(canvas);
    expect(Math.abs(file.length - 75_000)).toBeLessThan(8);
  });

  it('png by default and for a format the tool does not know', async () => {
    for (const tool of [{}, { output_format: 'tiff' }]) {
      const { item, file } = finalImage((await generate(tool)).events);
      expect(item.output_format).toBe('png');
      expect(file.subarray(1, 4).toString('latin1')).toBe('PNG');
    }
  });

  const decoders = ['djpeg', 'dwebp'].every(
    (tool) => spawnSync(tool, ['-version']).error === undefined,
  );
  it.skipIf(!decoders)(
    'decodes with libjpeg-turbo and libwebp where they are installed',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tollgate-formats-'));
      try {
        for (const [format, tool] of [
          ['jpeg', 'djpeg'],
          ['webp', 'dwebp'],
        ] as const) {
          const { file } = finalImage(
            (await generate({ size: '640x480', output_format: format })).events,
          );
          const path = join(dir, `image.${format}`);
          await writeFile(path, file);
          const args = tool === 'djpeg' ? ['-pnm', path] : [path, '-ppm', '-o', '-'];
          const pnm = execFileSync(tool, args, { stdio: ['ignore', 'pipe', 'ignore'] });
          expect(pnm.toString('latin1', 0, 20)).toMatch(/^P[56]\s+640 480\s/);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('generation over time', () => {
  it('sends the partial images the tool asks for (up to 3), each in the final format', async () => {
    for (const [partials, expected] of [
      [0, 0],
      [2, 2],
      [5, 3],
    ]) {
      const { events } = await generate({ partial_images: partials, output_format: 'jpeg' });
      const partial = events.filter(
        (e) => e.type === 'response.image_generation_call.partial_image',
      );
      expect(partial.map((e) => e.partial_image_index)).toEqual([...Array(expected).keys()]);
      for (const e of partial) {
        expect(Buffer.from(e.partial_image_b64 as string, 'base64')[0]).toBe(0xff);
      }
    }
  });

  it('x-sim-image-delay-ms holds back the first event and each image', async () => {
    const { ms } = await generate({ partial_images: 2 }, { 'x-sim-image-delay-ms': '60' });
    // Before response.created, before each of the two partial images and before the final one.
    expect(ms).toBeGreaterThanOrEqual(4 * 58);
  });
});
