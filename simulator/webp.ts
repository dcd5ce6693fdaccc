import { randomBytes } from 'node:crypto';

/**
 * A valid WebP of the requested dimensions in the extended format: a VP8X header, a lossless
 * (VP8L) bitstream whose prefix codes each hold a single symbol, so every pixel is mid-grey and
 * costs zero bits, then an unknown chunk of noise padding the file to the asked size (readers
 * must ignore unknown chunks at the end of an extended-format file).
 */

const PADDING_CHUNK = 'TGSP';
const CHUNK_HEADER = 8;
const VP8L_SIGNATURE = 0x2f;

export function flatWebp(width: number, height: number, targetBytes: number): Buffer {
  const chunks = [
    chunk('VP8X', canvasHeader(width, height)),
    chunk('VP8L', flatLossless(width, height)),
  ];
  const used = 12 + chunks.reduce((sum, part) => sum + part.length, 0);
  const pad = targetBytes - used - CHUNK_HEADER;
  if (pad > 0) chunks.push(chunk(PADDING_CHUNK, randomBytes(pad)));

  const body = Buffer.concat(chunks);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length + 4, 4);
  riff.write('WEBP', 8, 'latin1');
  return Buffer.concat([riff, body]);
}

/** No ICC, alpha, Exif, XMP or animation flags; canvas width and height minus one, 24 bits. */
function canvasHeader(width: number, height: number): Buffer {
  const header = Buffer.alloc(10);
  header.writeUIntLE(width - 1, 4, 3);
  header.writeUIntLE(height - 1, 7, 3);
  return header;
}

/**
 * The VP8L bitstream, least significant bit first: signature, size, no alpha, version 0; no
 * transform, no colour cache, no meta prefix codes; then five "simple" prefix codes of one
 * symbol each (green, red, blue, alpha, distance). With one-symbol codes no pixel needs a bit.
 */
function flatLossless(width: number, height: number): Buffer {
  const bits = new BitWriter();
  bits.write(VP8L_SIGNATURE, 8);
  bits.write(width - 1, 14);
  bits.write(height - 1, 14);
  bits.write(0, 1); // alpha_is_used
  bits.write(0, 3); // version
  bits.write(0, 1); // no transform
  bits.write(0, 1); // no colour cache
  bits.write(0, 1); // no meta prefix codes
  for (const symbol of [128, 128, 128, 255]) oneSymbolCode(bits, symbol, 8); // G, R, B, A
  oneSymbolCode(bits, 0, 1); // distance
  return bits.bytes();
}

/** simple_code = 1, num_symbols - 1 = 0, is_first_8bits, then the symbol in 1 or 8 bits. */
function oneSymbolCode(bits: BitWriter, symbol: number, width: 1 | 8): void {
  bits.write(1, 1);
  bits.write(0, 1);
  bits.write(width === 8 ? 1 : 0, 1);
  bits.write(symbol, width);
}

class BitWriter {
  private readonly out: number[] = [];
  private used = 0;

  write(value: number, count: number): void {
    for (let i = 0; i < count; i++) {
      if (this.used % 8 === 0) this.out.push(0);
      this.out[this.out.length - 1] |= ((value >> i) & 1) << (this.used % 8);
      this.used++;
    }
  }

  bytes(): Buffer {
    return Buffer.from(this.out);
  }
}

/** FourCC, little-endian size, data, and a zero byte when the size is odd. */
function chunk(fourCc: string, data: Buffer): Buffer {
  const head = Buffer.alloc(CHUNK_HEADER);
  head.write(fourCc, 0, 'latin1');
  head.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, data, Buffer.alloc(data.length % 2)]);
}
