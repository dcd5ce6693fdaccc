import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** A span as the tests read it, whichever OTLP encoding carried it. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** The W3C `tracestate` the span carries, '' when none. */
  traceState: string;
  name: string;
  /** Start and end, in milliseconds since the Unix epoch. */
  startMs: number;
  endMs: number;
  /** OTLP span kind: 2 SERVER, 3 CLIENT. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  events: { name: string; attributes: Record<string, string | number | boolean> }[];
  status: { code: number; message: string };
  resource: Record<string, string | number | boolean>;
}

export const SpanKindCode = { server: 2, client: 3 } as const;

const root = protobuf.loadSync(fileURLToPath(new URL('./otlp-trace.proto', import.meta.url)));
const ExportRequest = root.lookupType('otlp.ExportTraceServiceRequest');

/**
 * A real OTLP/HTTP receiver on 127.0.0.1:0: it accepts `/v1/traces` in protobuf and JSON and
 * `/v1/metrics` in JSON, decodes what arrives, and lets a test wait for it.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly metricBatches: unknown[] = [];
  readonly contentTypes: string[] = [];
  /** The headers of every request, in order. */
  readonly requestHeaders: http.IncomingHttpHeaders[] = [];
  private failures: { status: number; headers: Record<string, string> }[] = [];
  private readonly server = http.createServer((req, res) => void this.receive(req, res));
  private waiters: (() => void)[] = [];

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The next requests are refused with these answers, one each, before any is accepted. */
  refuseNext(...answers: { status: number; headers?: Record<string, string> }[]): void {
    this.failures.push(
      ...answers.map(({ status, headers }) => ({ status, headers: headers ?? {} })),
    );
  }

  /** Resolves once `predicate` holds for the received spans. */
  async waitFor(predicate: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
    while (!predicate(this.spans)) await this.next();
    return this.spans;
  }

  /** Resolves when the next export request has been received. */
  next(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private async receive(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const type = req.headers['content-type'] ?? '';
    this.contentTypes.push(`${req.url} ${type}`);
    this.requestHeaders.push(req.headers);
    const refusal = this.failures.shift();
    if (refusal) {
      res.writeHead(refusal.status, refusal.headers).end();
      return;
    }

    if (req.url === '/v1/traces') {
      const json = type.includes('json') ? JSON.parse(body.toString()) : decodeProto(body);
      this.spans.push(...spansOf(json, !type.includes('json')));
    } else if (req.url === '/v1/metrics') {
      this.metricBatches.push(type.includes('json') ? JSON.parse(body.toString()) : body);
    }
    res
      .writeHead(200, { 'content-type': type || 'application/json' })
      .end(type.includes('json') ? '{}' : '');
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

function decodeProto(body: Buffer): unknown {
  return ExportRequest.toObject(ExportRequest.decode(body), { longs: Number, bytes: String });
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Flattens both encodings: protobufjs gives camelCase fields and base64 ids, JSON hex ids. */
function spansOf(request: Json, fromProto: boolean): ReceivedSpan[] {
  const id = (value: string | undefined) =>
    !value ? '' : fromProto ? Buffer.from(value, 'base64').toString('hex') : value;
  return (request.resourceSpans ?? []).flatMap((rs: Json) =>
    (rs.scopeSpans ?? []).flatMap((ss: Json) =>
      (ss.spans ?? []).map((span: Json) => ({
        traceId: id(span.traceId),
        spanId: id(span.spanId),
        parentSpanId: id(span.parentSpanId),
        traceState: span.traceState ?? '',
        name: span.name,
        startMs: Number(span.startTimeUnixNano) / 1e6,
        endMs: Number(span.endTimeUnixNano) / 1e6,
        kind: span.kind,
        attributes: attributesOf(span.attributes),
        events: (span.events ?? []).map((e: Json) => ({
          name: e.name,
          attributes: attributesOf(e.attributes),
        })),
        status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
        resource: attributesOf(rs.resource?.attributes),
      })),
    ),
  );
}

function attributesOf(list: Json[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    if (value?.stringValue !== undefined) out[key] = value.stringValue;
    else if (value?.boolValue !== undefined) out[key] = value.boolValue;
    else if (value?.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value?.doubleValue !== undefined) out[key] = value.doubleValue;
  }
  return out;
}
