import type { AttributeValue, Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import {
  ProtobufTraceSerializer,
  type IExportTraceServiceResponse,
} from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

/** Protobuf wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** Span flags: the low byte is the W3C trace flags; then whether the parent is known to be
 * remote, and whether it is. */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** A batch's buffer holds this much beyond its spans' expected size: the resource and scope. */
const MIN_BUFFER_BYTES = 4096;
/** What a span took in the last batch, on average. */
let bytesPerSpan = 512;

/** Keys and values up to this long go through the one-pass attribute writer. Two such lengths
 * and their four bytes of framing still fit one length byte. */
const SHORT_FIELD_CHARS = 60;

/** Strings shorter than this are copied character by character while they are ASCII: their
 * length then fits the one byte of a short varint. */
const SHORT_STRING_CHARS = 128;

/**
 * Encodes finished spans as an OTLP `ExportTraceServiceRequest` in protobuf, byte for byte as
 * the SDK's own serializer does, at a fraction of its CPU. Encoding is much of what a span costs
 * Tollgate. The SDK's encoder builds an object tree of the request and then walks each string
 * three times; here the spans are written straight into one buffer, sized ahead from the
 * previous batch, and short ASCII strings (most of a span's) are copied without a call into
 * Buffer's native UTF-8 writer. Responses are read by the SDK's serializer.
 */
export const spanEncoding = {
  serializeRequest(spans: ReadableSpan[]): Uint8Array {
    // Sized from the batch before, with room to spare, so that it seldom has to grow.
    const writer = new Writer(MIN_BUFFER_BYTES + Math.ceil(spans.length * bytesPerSpan * 1.25));
    for (const [resource, scopes] of groupByResourceAndScope(spans)) {
      const start = writer.open(1);
      writeResourceSpans(writer, resource, scopes);
      writer.close(start);
    }
    const encoded = writer.finish();
    if (spans.length > 0) bytesPerSpan = encoded.length / spans.length;
    return encoded;
  },
  deserializeResponse(data: Uint8Array): IExportTraceServiceResponse {
    return ProtobufTraceSerializer.deserializeResponse(data);
  },
};

type ScopeGroups = Map<InstrumentationScope, ReadableSpan[]>;

/** Scopes may carry attributes in newer SDKs. */
interface ScopeWithAttributes extends InstrumentationScope {
  attributes?: Attributes;
  droppedAttributesCount?: number;
}

/** Spans share their resource and scope objects; a request holds each of them once. */
function groupByResourceAndScope(spans: ReadableSpan[]): Map<Resource, ScopeGroups> {
  const groups = new Map<Resource, ScopeGroups>();
  for (const span of spans) {
    let scopes = groups.get(span.resource);
    if (!scopes) groups.set(span.resource, (scopes = new Map()));
    const list = scopes.get(span.instrumentationScope);
    if (list) list.push(span);
    else scopes.set(span.instrumentationScope, [span]);
  }
  return groups;
}

function writeResourceSpans(w: Writer, resource: Resource, scopes: ScopeGroups): void {
  const start = w.open(1);
  w.attributes(1, resource.attributes);
  w.varintField(2, 0);
  w.close(start);
  for (const [scope, spans] of scopes) {
    const scopeStart = w.open(2);
    writeScopeSpans(w, scope, spans);
    w.close(scopeStart);
  }
  if (resource.schemaUrl) w.string(3, resource.schemaUrl);
}

function writeScopeSpans(w: Writer, scope: InstrumentationScope, spans: ReadableSpan[]): void {
  const { attributes, droppedAttributesCount: dropped } = scope as ScopeWithAttributes;
  const start = w.open(1);
  w.string(1, scope.name);
  if (scope.version) w.string(2, scope.version);
  w.attributes(3, attributes);
  if (dropped) w.varintField(4, dropped);
  w.close(start);
  for (const span of spans) {
    const spanStart = w.open(2);
    writeSpan(w, span);
    w.close(spanStart);
  }
  if (scope.schemaUrl) w.string(3, scope.schemaUrl);
}

function writeSpan(w: Writer, span: ReadableSpan): void {
  // Identity and place in the trace.
  const context = span.spanContext();
  w.hexBytes(1, context.traceId);
  w.hexBytes(2, context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) w.string(3, traceState);
  if (span.parentSpanContext?.spanId) w.hexBytes(4, span.parentSpanContext.spanId);

  // What it was and when.
  w.string(5, span.name);
  w.varintField(6, span.kind + 1);
  w.time(7, span.startTime);
  w.time(8, span.endTime);

  // What it carries.
  w.attributes(9, span.attributes);
  w.varintField(10, span.droppedAttributesCount);
  for (const event of span.events) {
    const start = w.open(11);
    writeEvent(w, event);
    w.close(start);
  }
  w.varintField(12, span.droppedEventsCount);
  for (const link of span.links) {
    const start = w.open(13);
    writeLink(w, link.context, link.attributes, link.droppedAttributesCount);
    w.close(start);
  }
  w.varintField(14, span.droppedLinksCount);
  const status = w.open(15);
  if (span.status.message) w.string(2, span.status.message);
  w.varintField(3, span.status.code);
  w.close(status);
  w.fixed32(16, spanFlags(context, span.parentSpanContext?.isRemote));
}

function writeEvent(w: Writer, event: TimedEvent): void {
  w.time(1, event.time);
  w.string(2, event.name);
  w.attributes(3, event.attributes);
  w.varintField(4, event.droppedAttributesCount ?? 0);
}

function writeLink(
  w: Writer,
  context: SpanContext,
  attributes: Attributes | undefined,
  dropped: number | undefined,
): void {
  w.hexBytes(1, context.traceId);
  w.hexBytes(2, context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) w.string(3, traceState);
  w.attributes(4, attributes);
  w.varintField(5, dropped ?? 0);
  w.fixed32(6, spanFlags(context, context.isRemote));
}

function spanFlags(context: SpanContext, remote: boolean | undefined): number {
  return (context.traceFlags & 0xff) | HAS_IS_REMOTE | (remote ? IS_REMOTE : 0);
}

/** A growing buffer with the few protobuf encodings OTLP spans need. */
class Writer {
  private buffer: Buffer;
  private pos = 0;

  constructor(bytes: number) {
    this.buffer = Buffer.allocUnsafe(bytes);
  }

  finish(): Uint8Array {
    return this.buffer.subarray(0, this.pos);
  }

  /** Starts a length-delimited field; what is written until `close(start)` is its content. One
   * byte is kept for the length: a longer one moves the content up. */
  open(field: number): number {
    this.tag(field, LEN);
    this.room(1);
    return ++this.pos;
  }

  close(start: number): void {
    const length = this.pos - start;
    const size = varintSize(length);
    if (size > 1) {
      this.room(size - 1);
      this.buffer.copyWithin(start + size - 1, start, this.pos);
      this.pos += size - 1;
    }
    this.varintAt(start - 1, length);
  }

  string(field: number, value: string): void {
    this.tag(field, LEN);
    this.stringValue(value);
  }

  /** An id, sent as the bytes its hex spells. Ids are valid lowercase or uppercase hex: the
   * SDK generates them, and the W3C propagator checks those it reads. */
  hexBytes(field: number, hex: string): void {
    this.tag(field, LEN);
    const size = hex.length >>> 1;
    this.varint(size);
    this.room(size);
    const buffer = this.buffer;
    for (let i = 0, at = this.pos; i < size; i++, at++) {
      buffer[at] = (hexDigit(hex.charCodeAt(2 * i)) << 4) | hexDigit(hex.charCodeAt(2 * i + 1));
    }
    this.pos += size;
  }

  varintField(field: number, value: number): void {
    this.tag(field, VARINT);
    this.varint(value);
  }

  fixed32(field: number, value: number): void {
    this.tag(field, FIXED32);
    this.room(4);
    this.pos = this.buffer.writeUInt32LE(value >>> 0, this.pos);
  }

  /** A time as nanoseconds since the epoch. */
  time(field: number, [seconds, nanos]: HrTime): void {
    this.tag(field, FIXED64);
    this.room(8);
    // seconds × 10⁹ exceeds 2⁵³: split seconds so that each product stays exact.
    const low16 = (seconds & 0xffff) * 1e9 + nanos;
    const high = Math.floor(seconds / 0x10000) * 1e9 + Math.floor(low16 / 0x10000);
    const low = ((high % 0x10000) * 0x10000 + (low16 % 0x10000)) >>> 0;
    this.buffer.writeUInt32LE(low, this.pos);
    this.buffer.writeUInt32LE(Math.floor(high / 0x10000) >>> 0, this.pos + 4);
    this.pos += 8;
  }

  attributes(field: number, attributes: Attributes | undefined): void {
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue;
      const value = attributes[key];
      if (this.shortAttribute(field, key, value)) continue;
      const start = this.open(field);
      this.keyValue(key, value);
      this.close(start);
    }
  }

  /**
   * Writes an attribute whose key and value are short ASCII text, a boolean or a small
   * non-negative integer, as most of a span's are, in one pass: every length then fits one
   * byte and is known before it is written. Answers false, having written nothing, for any
   * other attribute.
   */
  private shortAttribute(field: number, key: string, value: unknown): boolean {
    let valueBytes: number;
    if (typeof value === 'string') valueBytes = 2 + value.length;
    else if (typeof value === 'boolean') valueBytes = 2;
    else if (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0x7fffffff) {
      valueBytes = 1 + varintSize(value as number);
    } else return false;
    if (key.length > SHORT_FIELD_CHARS || valueBytes > SHORT_FIELD_CHARS + 2) return false;

    const start = this.pos;
    this.room(4 + key.length + 2 + valueBytes);
    const buffer = this.buffer;
    buffer[this.pos++] = (field << 3) | LEN;
    buffer[this.pos++] = 2 + key.length + 2 + valueBytes;
    buffer[this.pos++] = (1 << 3) | LEN;
    if (!this.ascii(key)) return this.rewind(start);
    buffer[this.pos++] = (2 << 3) | LEN;
    buffer[this.pos++] = valueBytes;
    if (typeof value === 'string') {
      buffer[this.pos++] = (1 << 3) | LEN;
      if (!this.ascii(value)) return this.rewind(start);
    } else if (typeof value === 'boolean') {
      buffer[this.pos++] = (2 << 3) | VARINT;
      buffer[this.pos++] = value ? 1 : 0;
    } else {
      buffer[this.pos++] = (3 << 3) | VARINT;
      this.varint(value as number);
    }
    return true;
  }

  /** Writes a short string's length and characters while they are ASCII; false at the first
   * that is not. */
  private ascii(text: string): boolean {
    const buffer = this.buffer;
    buffer[this.pos++] = text.length;
    for (let i = 0; i < text.length; i++) {
      const char = text.charCodeAt(i);
      if (char >= 0x80) return false;
      buffer[this.pos++] = char;
    }
    return true;
  }

  private rewind(to: number): false {
    this.pos = to;
    return false;
  }

  private keyValue(key: string, value: unknown): void {
    this.string(1, key);
    const start = this.open(2);
    this.anyValue(value);
    this.close(start);
  }

  /** An attribute value, as the SDK encodes it: integers in the int64 range as integers, other
   * numbers as doubles, arrays and objects nested; anything else as an empty value. */
  private anyValue(value: AttributeValue | unknown): void {
    if (typeof value === 'string') return this.string(1, value);
    if (typeof value === 'boolean') return this.varintField(2, value ? 1 : 0);
    if (typeof value === 'number') return this.number(value);
    if (value instanceof Uint8Array) {
      this.tag(7, LEN);
      this.varint(value.length);
      this.room(value.length);
      this.buffer.set(value, this.pos);
      this.pos += value.length;
    } else if (Array.isArray(value)) {
      const start = this.open(5);
      for (const item of value) {
        const itemStart = this.open(1);
        this.anyValue(item);
        this.close(itemStart);
      }
      this.close(start);
    } else if (value !== null && typeof value === 'object') {
      const start = this.open(6);
      for (const [key, item] of Object.entries(value)) {
        const itemStart = this.open(1);
        this.keyValue(key, item);
        this.close(itemStart);
      }
      this.close(start);
    }
  }

  private number(value: number): void {
    if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
      return this.varintField(3, value);
    }
    this.tag(4, FIXED64);
    this.room(8);
    this.pos = this.buffer.writeDoubleLE(value, this.pos);
  }

  /** A string's length and UTF-8 bytes. Most of a span's strings are short and ASCII, and
   * copying their characters here costs less than a call into Buffer's native encoder. */
  private stringValue(value: string): void {
    const length = value.length;
    if (length < SHORT_STRING_CHARS) {
      this.room(length + 1);
      const buffer = this.buffer;
      let at = this.pos + 1;
      for (let i = 0; i < length; i++) {
        const char = value.charCodeAt(i);
        if (char >= 0x80) return this.utf8(value);
        buffer[at++] = char;
      }
      buffer[this.pos] = length;
      this.pos = at;
      return;
    }
    this.utf8(value);
  }

  private utf8(value: string): void {
    const bytes = Buffer.byteLength(value);
    this.varint(bytes);
    this.room(bytes);
    this.pos += this.buffer.write(value, this.pos, 'utf8');
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** A varint; negative numbers as the ten bytes of their 64-bit two's complement. */
  private varint(value: number): void {
    this.room(10);
    if (value >= 0 && value <= 0x7fffffff) {
      let v = value;
      while (v > 0x7f) {
        this.buffer[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buffer[this.pos++] = v;
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.buffer[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buffer[this.pos++] = Number(v);
  }

  /** Writes a length into the byte(s) kept for it at `at`. */
  private varintAt(at: number, value: number): void {
    const end = this.pos;
    this.pos = at;
    this.varint(value);
    this.pos = end;
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.pos + bytes));
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }
}

/** The value of a hex digit's character code. */
function hexDigit(char: number): number {
  return char <= 0x39 ? char - 0x30 : (char | 0x20) - 0x57;
}

function varintSize(value: number): number {
  let size = 1;
  for (let v = value >>> 7; v > 0; v >>>= 7) size++;
  return size;
}
