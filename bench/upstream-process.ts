import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { startSimulator } from '../simulator/index.js';

/**
 * The upstream side of the benchmark in a process of its own, so the load generator's CPU and
 * the simulated provider's do not cap each other on a small machine: the simulated upstream,
 * and a trace sink that accepts OTLP/HTTP exports the way a collector does. Started by
 * bench/upstream.ts over an IPC channel; it exits when that channel closes, so it never
 * outlives the benchmark.
 */

export interface UpstreamAddresses {
  url: string;
  geminiUrl: string;
  /** `http://127.0.0.1:PORT/v1/traces` */
  tracesUrl: string;
}

export interface TraceSinkCounts {
  exports: number;
  bytes: number;
}

/** The simulator keeps every request and answer for tests; the benchmark needs none of them,
 * and 4 MB image answers would pile up between two runs. */
const FORGET_EVERY_MS = 200;

async function main(): Promise<void> {
  // Compression off: the benchmark measures proxying, not gzip on either side.
  const simulator = await startSimulator({ compress: false });
  const forget = setInterval(() => simulator.reset(), FORGET_EVERY_MS);
  const counts: TraceSinkCounts = { exports: 0, bytes: 0 };
  const sink = http.createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (counts.bytes += chunk.length));
    req.on('end', () => {
      counts.exports++;
      // An empty protobuf ExportTraceServiceResponse: everything accepted.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  sink.listen(0, '127.0.0.1');
  await once(sink, 'listening');

  const { port } = sink.address() as AddressInfo;
  const addresses: UpstreamAddresses = {
    url: simulator.url,
    geminiUrl: simulator.geminiUrl,
    tracesUrl: `http://127.0.0.1:${port}/v1/traces`,
  };
  process.send!({ ready: addresses });
  process.on('message', (message: { counts?: boolean }) => {
    if (message.counts) process.send!({ counts });
  });
  process.once('disconnect', () => {
    clearInterval(forget);
    sink.close();
    void simulator.close().finally(() => process.exit(0));
  });
}

void main();
