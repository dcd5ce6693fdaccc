import { once } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { openAiConfig, startGateway, type TestGateway } from './support/gateway.js';
import { getJson, readJsonFile, respond, scratchDir, storeConfig } from './support/usage-store.js';

/**
 * What an operator relies on: `/ready` against `/health`, process and runtime metrics, a usage
 * file that cannot be written (counted, logged, never fatal), and outbound proxies.
 */

let sim: Simulator;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
let tg: TestGateway | undefined;

beforeAll(async () => {
  [sim, scratch] = await Promise.all([startSimulator(), scratchDir()]);
});
afterEach(async () => {
  await tg?.close();
  tg = undefined;
  sim.reset();
});
afterAll(async () => {
  await sim.close();
  await scratch.remove();
});

describe('/ready', () => {
  it('answers 200 while an account can serve and 503 once none can; /health stays 200', async () => {
    tg = await startGateway(openAiConfig(sim.url));
    expect(await getJson(`${tg.url}/ready`)).toEqual({
      status: 200,
      body: { status: 'ready', available: 1 },
    });

    // The only account is told to rest for a minute.
    sim.failNext({ status: 429, headers: { 'retry-after': '60' } });
    await respond(tg.url);
    expect(await getJson(`${tg.url}/ready`)).toEqual({
      status: 503,
      body: { status: 'unavailable', available: 0 },
    });
    expect((await getJson(`${tg.url}/health`)).status).toBe(200);
  });

  it('answers 503 when no upstream is configured', async () => {
    tg = await startGateway({ listen: { host: '127.0.0.1', port: 0 } });
    expect((await getJson(`${tg.url}/ready`)).status).toBe(503);
  });
});

describe('process and runtime metrics', () => {
  it('exports event-loop delay, heap, GC, resident memory and CPU time', async () => {
    tg = await startGateway(openAiConfig(sim.url));
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    await respond(tg.url);
    // Event-loop delay is reported once five 10 ms samples have been taken.
    const scrape = await until(async () => {
      const taken = await tg!.scrape();
      return taken.select('nodejs_eventloop_delay_p99').length > 0 ? taken : undefined;
    });

    expect(scrape.types.get('nodejs_eventloop_delay_p99')).toBe('gauge');
    expect(scrape.types.get('nodejs_eventloop_utilization')).toBe('gauge');
    expect(scrape.sum('v8js_memory_heap_used')).toBeGreaterThan(1e6);
    expect(scrape.types.get('v8js_gc_duration')).toBe('histogram');
    expect(scrape.sum('v8js_gc_duration')).toBeGreaterThan(0);
    // Resident memory is the whole process: at least the heap in use.
    expect(scrape.sum('process_memory_usage')).toBeGreaterThan(scrape.sum('v8js_memory_heap_used'));
    expect(scrape.one('process_cpu_time_total', { cpu_mode: 'user' }).value).toBeGreaterThan(0);
  });
});

describe('a usage file that cannot be written', () => {
  it('counts and logs each failed write, keeps serving, and writes once it can', async () => {
    // Step 1: a directory where lowdb's temporary file goes makes every write fail, even as
    // root (which a read-only directory would not stop).
    const dir = join(scratch.dir, 'unwritable');
    const path = join(dir, 'usage.json');
    const blocker = join(dir, '.usage.json.tmp');
    await mkdir(blocker, { recursive: true });
    tg = await startGateway(storeConfig(sim.url, path));

    // Step 2: usage arrives; the write fails, is counted and logged, and serving goes on.
    await respond(tg.url);
    const failures = await until(async () => {
      const count = (await tg!.scrape()).sum('tollgate_store_flush_failures_total');
      return count > 0 ? count : undefined;
    });
    expect(failures).toBeGreaterThanOrEqual(1);
    const warning = tg.logs.find((l) => l.msg === 'cannot write the usage file; will retry');
    expect(warning).toMatchObject({ level: 40, path });
    expect((await fetch(`${tg.url}/ready`)).status).toBe(200);
    await respond(tg.url);

    // Step 3: once the way is clear, the next retry writes both exchanges.
    await rm(blocker, { recursive: true });
    await until(async () => tg!.logs.find((l) => l.msg === 'usage file written again'));
    const file = await readJsonFile(path);
    expect(file.accounts).toMatchObject({ 'team-a': { request_count: 2 } });
  });
});

describe('outbound proxy', () => {
  let proxy: RecordingProxy;
  beforeAll(async () => {
    proxy = await startRecordingProxy();
  });
  afterAll(() => proxy.close());

  it('tunnels upstream requests through HTTP_PROXY, never showing it the account key', async () => {
    proxy.connects.length = 0;
    tg = await startGateway(openAiConfig(sim.url), { env: { HTTP_PROXY: proxy.url } });
    await respond(tg.url);
    expect(sim.requests).toHaveLength(1);
    expect(proxy.connects.map((c) => c.target)).toEqual([`127.0.0.1:${sim.port}`]);
    expect(JSON.stringify(proxy.connects)).not.toContain('sk-test-team-a-0001');
  });

  it('goes direct to hosts NO_PROXY names', async () => {
    proxy.connects.length = 0;
    const env = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' };
    tg = await startGateway(openAiConfig(sim.url), { env });
    await respond(tg.url);
    expect(sim.requests).toHaveLength(1);
    expect(proxy.connects).toEqual([]);
  });
});

/** Polls `check` (20 ms apart) until it returns something. */
async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface RecordingProxy {
  url: string;
  connects: { target: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** A forward proxy on loopback that accepts CONNECT, records it and pipes bytes both ways. */
async function startRecordingProxy(): Promise<RecordingProxy> {
  const connects: RecordingProxy['connects'] = [];
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, socket, head) => {
    connects.push({ target: req.url!, headers: req.headers });
    const [host, port] = req.url!.split(':');
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
