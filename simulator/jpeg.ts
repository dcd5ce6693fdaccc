import { randomBytes } from 'node:crypto';

/**
 * A valid baseline JPEG of the requested dimensions: one grey component whose every 8x8 block is
 * flat mid-grey, so the entropy-coded scan is two bits per block. Files from an image model are
 * far larger than a flat picture needs, so the file is padded to the asked size with APP15
 * segments of noise, which every decoder skips (they are application data no reader claims).
 */

const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);
/** A marker segment's length field counts itself: at most 65,535 bytes of length and data. */
const MAX_SEGMENT_DATA = 65_533;
/** Marks the padding as ours, so no reader mistakes it for a known APP15 payload. */
const PADDING_ID = Buffer.from('TollgateSim\0', 'latin1');

export function flatJpeg(width: number, height: number, targetBytes: number): Buffer {
  const picture = [
    segment(0xe0, jfifHeader()),
    segment(0xdb, Buffer.concat([Buffer.from([0x00]), Buffer.alloc(64, 1)])), // table 0, all 1s
    segment(0xc0, frameHeader(width, height)),
    segment(0xc4, singleCodeTable(0x00)), // DC table 0: one code "0" for difference category 0
    segment(0xc4, singleCodeTable(0x10)), // AC table 0: one code "0" for end-of-block
    segment(0xda, Buffer.from([0x01, 0x01, 0x00, 0x00, 0x3f, 0x00])), // 1 component, tables 0/0
    flatScan(Math.ceil(width / 8) * Math.ceil(height / 8)),
  ];
  const used = SOI.length + EOI.length + picture.reduce((sum, part) => sum + part.length, 0);
  return Buffer.concat([SOI, picture[0], ...padding(targetBytes - used), ...picture.slice(1), EOI]);
}

/** JFIF 1.01, no density unit, 1:1 aspect ratio, no thumbnail. */
function jfifHeader(): Buffer {
  return Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0, 1, 0, 1, 0, 0]);
}

/** 8-bit samples, the dimensions, one component (id 1, 1x1 sampling, quantisation table 0). */
function frameHeader(width: number, height: number): Buffer {
  const header = Buffer.from([8, 0, 0, 0, 0, 1, 1, 0x11, 0]);
  header.writeUInt16BE(height, 1);
  header.writeUInt16BE(width, 3);
  return header;
}

/** A Huffman table (class and id in `tableClassId`) holding one code of length 1: symbol 0. */
function singleCodeTable(tableClassId: number): Buffer {
  const counts = Buffer.alloc(16);
  counts[0] = 1;
  return Buffer.concat([Buffer.from([tableClassId]), counts, Buffer.from([0x00])]);
}

/** Each block is DC difference 0 ("0") then end-of-block ("0"); the last byte is padded with
 * 1 bits as the standard asks. No byte is 0xFF, so nothing needs stuffing. */
function flatScan(blocks: number): Buffer {
  const bits = blocks * 2;
  const scan = Buffer.alloc(Math.ceil(bits / 8));
  const used = bits % 8;
  if (used > 0) scan[scan.length - 1] = 0xff >> used;
  return scan;
}

function segment(marker: number, data: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(data.length + 2, 2);
  return Buffer.concat([head, data]);
}

/** APP15 segments of noise adding up to about `bytes`. */
function padding(bytes: number): Buffer[] {
  const segments: Buffer[] = [];
  let left = bytes;
  while (left > 4 + PADDING_ID.length) {
    const size = Math.min(MAX_SEGMENT_DATA, left - 4);
    segments.push(
      segment(0xef, Buffer.concat([PADDING_ID, randomBytes(size - PADDING_ID.length)])),
    );
    left -= size + 4;
  }
  return segments;
}
