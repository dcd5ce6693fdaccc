import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spanEncoding } from '../src/telemetry/span-encoding.js';

/**
 * Tollgate encodes the spans it exports itself, for speed. A collector must receive exactly what
 * the OpenTelemetry SDK's own encoder would have sent: the same bytes, for any span.
 */

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ minLength: 120, maxLength: 400 }),
  fc.constantFrom('chat', 'gen_ai.usage.input_tokens', 'team-a', 'gpt-5.5'),
);
const number = fc.oneof(
  fc.integer(),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }),
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -1, 127, 128, 2 ** 31, 2 ** 32, 2 ** 63, -(2 ** 63), 0.5),
);
const value = fc.oneof(
  text,
  number,
  fc.boolean(),
  fc.array(text, { maxLength: 3 }),
  fc.array(number, { maxLength: 3 }),
);
const attributes: fc.Arbitrary<Attributes> = fc.dictionary(text, value, { maxKeys: 20 });

const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));

const spanInput = fc.record({
  name: text,
  kind: fc.constantFrom(...Object.values(SpanKind).filter((k) => typeof k === 'number')),
  attributes,
  parent: fc.option(
    fc.record({
      traceId: hex(16),
      spanId: hex(8),
      isRemote: fc.boolean(),
      traceFlags: fc.constantFrom(0, 1),
      traceState: fc.option(fc.constantFrom('vendor=1', 'a=b,c=d'), { nil: undefined }),
    }),
    { nil: undefined },
  ),
  events: fc.array(fc.record({ name: text, attributes }), { maxLength: 3 }),
  links: fc.array(fc.record({ traceId: hex(16), spanId: hex(8), attributes }), { maxLength: 2 }),
  status: fc.record({
    code: fc.constantFrom(SpanStatusCode.UNSET, SpanStatusCode.OK, SpanStatusCode.ERROR),
    message: fc.option(text, { nil: undefined }),
  }),
  scope: fc.constantFrom('tollgate', 'other'),
});

type SpanInput = typeof spanInput extends fc.Arbitrary<infer T> ? T : never;

/** Real SDK spans made from the inputs, under one resource and the scopes they name. */
function sdkSpans(inputs: SpanInput[], resource: Attributes) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  for (const input of inputs) {
    const tracer = provider.getTracer(input.scope, input.scope === 'other' ? '1.2.3' : undefined);
    const parent = input.parent
      ? trace.setSpanContext(ROOT_CONTEXT, {
          ...input.parent,
          traceState: input.parent.traceState ? new TraceState(input.parent.traceState) : undefined,
        })
      : ROOT_CONTEXT;
    const links = input.links.map(({ traceId, spanId, attributes }) => ({
      context: { traceId, spanId, traceFlags: 1 },
      attributes,
    }));
    const span = tracer.startSpan(
      input.name,
      { kind: input.kind, attributes: input.attributes, links },
      parent,
    );
    for (const event of input.events) span.addEvent(event.name, event.attributes);
    span.setStatus(input.status);
    span.end();
  }
  return exporter.getFinishedSpans();
}

describe('span encoding', () => {
  it('gives the same bytes as the SDK for any spans', () => {
    fc.assert(
      fc.property(fc.array(spanInput, { maxLength: 8 }), attributes, (inputs, resource) => {
        const spans = sdkSpans(inputs, resource);
        const ours = Buffer.from(spanEncoding.serializeRequest(spans));
        const sdk = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
        expect(ours.equals(sdk)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same bytes for a batch of a thousand spans, lengths of several bytes included', () => {
    const inputs = fc.sample(spanInput, { numRuns: 1000, seed: 7 });
    const spans = sdkSpans(inputs, { 'service.name': 'tollgate' });
    const ours = Buffer.from(spanEncoding.serializeRequest(spans));
    expect(ours.length).toBeGreaterThan(64 * 1024);
    expect(ours.equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!))).toBe(true);
  });
});
