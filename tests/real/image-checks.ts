/**
 * What every image request of the matrix must show, judged from the events a client received:
 * the SSE lifecycle of an image tool call, a real image file (a text or SVG fallback fails),
 * a size floor, and image-tool output tokens. Failures are sentences an operator can act on.
 */

export type ImageKind = 'png' | 'jpeg' | 'webp' | 'gif';

/** What a client kept of one streamed answer. */
export interface StreamRecord {
  /** Every event's `type`, in order. */
  types: string[];
  /** The `item` of the `response.output_item.done` event that holds the image tool call. */
  imageItem?: Record<string, unknown>;
  /** The `response` of `response.completed` (or of the last terminal event seen). */
  response?: Record<string, unknown>;
  /** Text the model wrote instead of (or next to) an image. */
  text: string;
  /** An HTTP or stream error the request ended with. */
  error?: string;
}

export interface TokenPair {
  input: number;
  output: number;
}

export interface ImageVerdict {
  failures: string[];
  kind?: ImageKind;
  base64Length: number;
  /** Decoded size of the image file. */
  imageBytes: number;
  host: TokenPair;
  image: TokenPair;
}

export interface ImageExpectation {
  /** Smallest acceptable base64 length. */
  minBase64: number;
  /** The `output_format` asked for; the image must be in it. */
  format?: string;
}

const LIFECYCLE = [
  'response.created',
  'response.image_generation_call.generating',
  'response.output_item.done',
  'response.completed',
] as const;

export function judgeImageStream(record: StreamRecord, expect: ImageExpectation): ImageVerdict {
  const failures = record.error ? [record.error] : [];
  failures.push(...lifecycleFailures(record));

  const result = record.imageItem?.result;
  const base64 = typeof result === 'string' ? result : '';
  const image = base64
    ? imageFailures(base64, expect)
    : { kind: undefined, bytes: 0, failures: [] };
  if (!base64) failures.push(missingImage(record));
  failures.push(...image.failures);

  const usage = tokenUsage(record.response);
  if (!(usage.image.output > 0)) {
    failures.push('response.completed has no tool_usage.image_gen.output_tokens above 0');
  }
  return {
    failures,
    kind: image.kind,
    base64Length: base64.length,
    imageBytes: image.bytes,
    ...usage,
  };
}

/** The four lifecycle events, in order, the first and last of them ending the stream. */
function lifecycleFailures(record: StreamRecord): string[] {
  const failures: string[] = [];
  const positions = LIFECYCLE.map((type) =>
    type === 'response.output_item.done' && !record.imageItem ? -1 : record.types.indexOf(type),
  );
  LIFECYCLE.forEach((type, i) => {
    if (positions[i] >= 0) return;
    const item = i === 2 ? ' with an image_generation_call item' : '';
    failures.push(`no ${type} event${item}`);
  });
  const seen = positions.filter((p) => p >= 0);
  if (seen.some((p, i) => i > 0 && p < seen[i - 1])) {
    failures.push(`lifecycle events out of order: ${record.types.join(', ')}`);
  }
  if (record.types.length > 0 && record.types[0] !== 'response.created') {
    failures.push(`first event is ${record.types[0]}, not response.created`);
  }
  const last = record.types.at(-1);
  if (last !== undefined && last !== 'response.completed') {
    failures.push(`stream ended with ${last}, not response.completed`);
  }
  return failures;
}

function imageFailures(base64: string, expect: ImageExpectation) {
  const failures: string[] = [];
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) failures.push('image result is not base64');
  const bytes = Buffer.from(base64, 'base64');
  const kind = imageKind(bytes);
  if (!kind) {
    failures.push(`image is not PNG, JPEG, WebP or GIF: it starts with ${preview(bytes)}`);
  } else if (expect.format && kind !== expect.format) {
    failures.push(`image is ${kind}, but output_format asked for ${expect.format}`);
  }
  if (base64.length < expect.minBase64) {
    failures.push(
      `image is ${base64.length} characters of base64, under the floor of ${expect.minBase64}`,
    );
  }
  return { kind, bytes: bytes.length, failures };
}

/** Says what came instead of an image: the fallback's text says most. */
function missingImage(record: StreamRecord): string {
  const text = record.text.trim();
  if (!text) return 'no image in the answer';
  const svg = /<svg[\s>]/i.test(text) ? ' (an SVG)' : '';
  const start = JSON.stringify(text.slice(0, 60));
  return `no image in the answer: the model answered in text${svg}: ${start}`;
}

/** The file type from its first bytes, as browsers and image libraries sniff it. */
export function imageKind(bytes: Buffer): ImageKind | undefined {
  const ascii = (start: number, end: number) => bytes.subarray(start, end).toString('latin1');
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return 'png';
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  return undefined;
}

/** The first bytes, printable characters as they are and the rest as \xNN. */
function preview(bytes: Buffer): string {
  const head = [...bytes.subarray(0, 16)]
    .map((b) =>
      b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
  return JSON.stringify(head);
}

/** Host tokens from `usage`, image-tool tokens from `tool_usage.image_gen`; absent reads 0. */
export function tokenUsage(response: Record<string, unknown> | undefined): {
  host: TokenPair;
  image: TokenPair;
} {
  const usage = record(response?.usage);
  const imageGen = record(record(response?.tool_usage).image_gen);
  return {
    host: { input: number(usage.input_tokens), output: number(usage.output_tokens) },
    image: { input: number(imageGen.input_tokens), output: number(imageGen.output_tokens) },
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function number(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
