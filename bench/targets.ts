import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ProcessProbe } from './proc.js';
import type { UpstreamAddresses } from './upstream-process.js';

/**
 * The proxies under test, each a child process so its CPU time and memory are its own and not
 * mixed with the load generator's. All are measured from the outside through /proc, which
 * leaves Tollgate started exactly as a user starts it.
 */

export type TargetName =
  'pass-through' | 'tollgate' | 'tollgate, store off' | 'tollgate, tracing off';

/** Tollgate as benchmarked: metrics, usage store and traces on unless a variant turns one off
 * to measure what it costs. */
export interface TollgateVariant {
  name: Exclude<TargetName, 'pass-through'>;
  store: boolean;
  tracing: boolean;
}

export const TOLLGATE_VARIANTS: readonly TollgateVariant[] = [
  { name: 'tollgate', store: true, tracing: true },
  { name: 'tollgate, store off', store: false, tracing: true },
  { name: 'tollgate, tracing off', store: true, tracing: false },
];

export interface Target {
  name: TargetName;
  /** `http://127.0.0.1:PORT`: workload paths go after it. */
  origin: string;
  probe: ProcessProbe;
  /** Throws with the child's last output if it has exited. */
  assertAlive(): void;
  /** Lines the child wrote to stdout or stderr since it became ready. */
  linesSinceReady(): number;
  /** The last of those lines. */
  recentOutput(): string;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const TAIL_LINES = 20;

/** Every child still running; killed when the benchmark exits for any reason. */
const children = new Set<ChildProcess>();
process.once('exit', () => children.forEach((child) => child.kill('SIGKILL')));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => process.exit(130));
}

export async function startPassthrough(
  upstreamOrigin: string,
  nodeFlags: string[] = [],
): Promise<Target> {
  const port = await freePort();
  const env = { PASSTHROUGH_UPSTREAM: upstreamOrigin, PASSTHROUGH_PORT: String(port) };
  const args = [...nodeFlags, '--import', 'tsx', join(ROOT, 'bench/passthrough.ts')];
  return launch({ name: 'pass-through', args, port, env });
}

/**
 * `node --import tsx src/main.ts --config FILE`, as a user would run it. Its readiness line is
 * logged at `info`, which the benchmark turns off to keep per-request lines out of the
 * measurement, so the port is chosen here and readiness is a successful connect.
 */
export async function startTollgate(
  upstream: UpstreamAddresses,
  variant: TollgateVariant,
  nodeFlags: string[] = [],
): Promise<Target> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  const config = join(dir, 'tollgate.yaml');
  writeFileSync(config, tollgateConfig(upstream, port, dir, variant.store));
  const args = [...nodeFlags, '--import', 'tsx', join(ROOT, 'src/main.ts'), '--config', config];
  // Spans go out in batches as in production; the sink answers like a collector. Batches leave
  // every 200 ms rather than every 5 s, so that exporting falls within the target's own rounds
  // and its CPU is charged to it, not to whichever target the next round measures.
  const env: Record<string, string> = variant.tracing
    ? { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: upstream.tracesUrl, OTEL_BSP_SCHEDULE_DELAY: '200' }
    : { OTEL_TRACES_EXPORTER: 'none' };
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    const target = await launch({ name: variant.name, args, port, env });
    return { ...target, stop: () => target.stop().finally(removeDir) };
  } catch (err) {
    removeDir();
    throw err;
  }
}

/** The defaults but for the address, the log level and the usage store, which would otherwise
 * write data/usage.json into the working tree: it stays on, as for a user, in the temp dir. One
 * upstream per protocol, all of them the simulator. */
function tollgateConfig(
  upstream: UpstreamAddresses,
  port: number,
  dir: string,
  store: boolean,
): string {
  const account = (name: string) => `accounts: [{ name: ${name}, api_key: sk-bench }]`;
  return [
    `listen: { host: 127.0.0.1, port: ${port} }`,
    'upstreams:',
    `  - { name: openai, protocol: openai, base_url: "${upstream.url}", ${account('bench')} }`,
    `  - { name: anthropic, protocol: anthropic, base_url: "${upstream.url}",`,
    `      models: ["claude-*"], ${account('bench-anthropic')} }`,
    `  - { name: gemini, protocol: gemini, base_url: "${upstream.geminiUrl}",`,
    `      models: ["gemini-*"], ${account('bench-gemini')} }`,
    'log: { level: warn }',
    `storage: { enabled: ${store}, path: "${join(dir, 'usage.json')}" }`,
    '',
  ].join('\n');
}

interface Launch {
  name: TargetName;
  /** Node's arguments: flags, then the script and its own arguments. */
  args: string[];
  /** Where the child will listen; it is ready once this port accepts a connection. */
  port: number;
  env?: Record<string, string>;
}

async function launch({ name, args, port, env = {} }: Launch): Promise<Target> {
  // Children inherit no TOLLGATE_PORT/HOST that would override the file.
  const { TOLLGATE_PORT: _port, TOLLGATE_HOST: _host, ...inherited } = process.env;
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const guard = orphanGuard(child.pid!);
  child.once('exit', () => {
    children.delete(child);
    guard.kill();
  });
  const output = new OutputTail(child);

  try {
    await waitForPort(port, child, output, name);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  output.markReady();
  return {
    name,
    origin: `http://127.0.0.1:${port}`,
    probe: new ProcessProbe(child.pid!),
    assertAlive: () => {
      if (child.exitCode !== null || child.signalCode !== null) throw exited(name, child, output);
    },
    linesSinceReady: () => output.linesSinceReady,
    recentOutput: () => output.toString(),
    stop: () => stopChild(child),
  };
}

/**
 * The `exit` handler above cannot run if this process is SIGKILLed or crashes hard. A shell
 * blocked reading a pipe from us notices either way, since the pipe closes with us, and then
 * kills the child; Tollgate itself needs no IPC channel for this.
 */
function orphanGuard(pid: number): ChildProcess {
  const script = `read _; kill -9 ${pid} 2>/dev/null`;
  return spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'ignore', 'ignore'] });
}

/** Keeps the last lines a child wrote, for the error message when it dies. */
class OutputTail {
  private readonly lines: string[] = [];
  private readyAt = -1;
  private total = 0;

  constructor(child: ChildProcess) {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.keep(line));
    }
  }

  private keep(line: string): void {
    this.total++;
    this.lines.push(line.slice(0, 500));
    if (this.lines.length > TAIL_LINES) this.lines.shift();
  }

  markReady(): void {
    this.readyAt = this.total;
  }

  get linesSinceReady(): number {
    return this.readyAt < 0 ? 0 : this.total - this.readyAt;
  }

  toString(): string {
    return this.lines.join('\n') || '(no output)';
  }
}

async function waitForPort(port: number, child: ChildProcess, output: OutputTail, name: string) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw exited(name, child, output);
    if (await accepts(port)) return;
    await sleep(50);
  }
  throw new Error(
    `${name} did not listen on port ${port} within ${READY_TIMEOUT_MS} ms:\n${output}`,
  );
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(name: string, child: ChildProcess, output: OutputTail): Error {
  const how = child.signalCode ?? `code ${child.exitCode}`;
  return new Error(`${name} exited (${how}); its last output:\n${output}`);
}

/** SIGTERM lets Tollgate shut down as in production; SIGKILL if it has not after 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exit;
  clearTimeout(timer);
}

/**
 * A port free right now. Another process could take it before the child binds it; the child
 * then fails to start and says so, which is good enough on a benchmark machine.
 */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
