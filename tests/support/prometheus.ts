import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One series of an instant (`value`) or range (`values`) query answer. */
export interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/** A real Prometheus (the Debian package) scraping one target every second, with rule files. */
export interface RunningPrometheus {
  url: string;
  startedAt: number;
  /** Instant query at `time` (seconds; default now). Rejects on a PromQL error. */
  query(expr: string, time?: number): Promise<PromSeries[]>;
  queryRange(expr: string, start: number, end: number, step: number): Promise<PromSeries[]>;
  /** Resolves once `check` holds for the query's answer; polls, since Prometheus pushes nothing. */
  waitFor(expr: string, check: (r: PromSeries[]) => boolean, what: string): Promise<void>;
  close(): Promise<void>;
}

export interface PrometheusOptions {
  /** `host:port` of the Tollgate to scrape, or of each of several. */
  target: string | string[];
  ruleFiles: string[];
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, config(options));
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const prometheus = client(url, child, dir);
  await ready(url, child, () => stderr);
  return prometheus;
}

function config({ target, ruleFiles }: PrometheusOptions): string {
  return [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: [${ruleFiles.map((f) => JSON.stringify(f)).join(', ')}]`,
    'scrape_configs:',
    `  - { job_name: tollgate, static_configs: [{ targets: ${JSON.stringify([target].flat())} }] }`,
    '',
  ].join('\n');
}

function client(url: string, child: ChildProcess, dir: string): RunningPrometheus {
  const api = async (path: string, params: Record<string, string>) => {
    const res = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data: { result: PromSeries[] };
    };
    if (body.status !== 'success') throw new Error(`PromQL error: ${body.error}`);
    return body.data.result;
  };
  const prometheus: RunningPrometheus = {
    url,
    startedAt: Date.now() / 1000,
    query: (expr, time = Date.now() / 1000) =>
      api('/api/v1/query', { query: expr, time: String(time) }),
    queryRange: (expr, start, end, step) =>
      api('/api/v1/query_range', {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(step),
      }),
    waitFor: async (expr, check, what) => {
      const deadline = Date.now() + 25_000;
      while (!check(await prometheus.query(expr))) {
        if (Date.now() > deadline) throw new Error(`Prometheus never showed ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    close: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return prometheus;
}

/** Waits for `/-/ready`; fails fast, naming the package, when the binary is missing or dies. */
async function ready(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  let failure: Error | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure =
      error.code === 'ENOENT'
        ? new Error('prometheus is not installed: apt-get install -y prometheus (.ci/run does)')
        : error;
  });
  child.once('exit', (code) => (failure ??= new Error(`prometheus exited (${code}): ${stderr()}`)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (failure) throw failure;
    const res = await fetch(`${url}/-/ready`).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`prometheus not ready: ${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A port nobody listens on right now (Prometheus takes no port 0). */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
