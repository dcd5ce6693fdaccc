import { isRecord } from './usage.js';
import { flatJpeg } from './jpeg.js';
import { noisePngBase64 } from './png.js';
import { flatWebp } from './webp.js';

/**
 * The image files the simulated image tool returns, in the format its `output_format` asks for
 * (`png` unless it says `jpeg` or `webp`), as base64 of about the asked length.
 */

export const IMAGE_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** Built JPEG and WebP files by format, size and length; PNGs have their own cache. */
const cache = new Map<string, string>();
const CACHE_LIMIT = 16;

/** The tool's `output_format`; a value the tool does not know reads as the default, `png`. */
export function imageFormatOf(tool: Record<string, unknown> | undefined): ImageFormat {
  const format = isRecord(tool) ? tool.output_format : undefined;
  return IMAGE_FORMATS.find((known) => known === format) ?? 'png';
}

/** The PNG is noise sized by byte count; JPEG and WebP are flat pictures of `size` padded to
 * the length, so their headers carry the requested dimensions. */
export function imageBase64(format: ImageFormat, base64Length: number, size: string): string {
  if (format === 'png') return noisePngBase64(base64Length);
  const key = `${format} ${size} ${base64Length}`;
  let image = cache.get(key);
  if (image === undefined) {
    const { width, height } = dimensions(size);
    const bytes = Math.floor((base64Length * 3) / 4);
    const file =
      format === 'jpeg' ? flatJpeg(width, height, bytes) : flatWebp(width, height, bytes);
    image = file.toString('base64');
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, image);
  }
  return image;
}

/** WebP's largest side; JPEG allows more, no image model asks for either. */
const MAX_SIDE = 16_384;

/** `WIDTHxHEIGHT` (clamped to what both formats hold), or a square of 1024 (`auto`). */
function dimensions(size: string): { width: number; height: number } {
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  const side = (text: string | undefined) => Math.min(MAX_SIDE, Math.max(1, Number(text ?? 1024)));
  return { width: side(match?.[1]), height: side(match?.[2]) };
}
