import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const RGB_BYTES = 3;
/** Signature, IHDR, one IDAT and IEND chunks, plus zlib's header and checksum. */
const FIXED_OVERHEAD = 8 + 25 + 12 + 12 + 6;
/** Deflate keeps incompressible data in stored blocks of at most 64 KiB, 5 bytes each. */
const STORED_BLOCK = 65_535;

/**
 * Images already built, by base64 length: a soak test asks for the same size thousands of
 * times, and noise plus deflate over megabytes would otherwise dominate its CPU.
 */
const cache = new Map<number, string>();
const CACHE_LIMIT = 16;

/**
 * A valid 8-bit RGB PNG whose base64 is close to `base64Length` characters. The pixels are
 * noise, which deflate cannot shrink, so the file's size follows its pixel count.
 */
export function noisePngBase64(base64Length: number): string {
  let image = cache.get(base64Length);
  if (image === undefined) {
    image = buildPng(Math.floor((base64Length * 3) / 4)).toString('base64');
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(base64Length, image);
  }
  return image;
}

function buildPng(targetBytes: number): Buffer {
  const { width, height } = dimensionsFor(targetBytes);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, no filter, no interlace
  const pixels = zlib.deflateSync(noiseScanlines(width, height), {
    level: zlib.constants.Z_BEST_SPEED,
  });
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A near-square picture whose raw scanlines fill what the target leaves after overhead. */
function dimensionsFor(targetBytes: number): { width: number; height: number } {
  const blocks = Math.ceil(targetBytes / STORED_BLOCK);
  const raw = Math.max(1, targetBytes - FIXED_OVERHEAD - 5 * blocks);
  const width = Math.max(1, Math.round(Math.sqrt(raw / RGB_BYTES)));
  const height = Math.max(1, Math.round(raw / (1 + width * RGB_BYTES)));
  return { width, height };
}

/** Each scanline is a filter-type byte (0: none) followed by the row's pixels. */
function noiseScanlines(width: number, height: number): Buffer {
  const rowBytes = 1 + width * RGB_BYTES;
  const data = randomBytes(rowBytes * height);
  for (let row = 0; row < height; row++) data[row * rowBytes] = 0;
  return data;
}

/** Length, type, data, then a CRC-32 over type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}
