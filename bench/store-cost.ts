/**
 * What metering into the usage store costs: two gateway processes against one simulated
 * upstream, identical but for `storage.enabled`, loaded in turn with non-streaming chat
 * requests (autocannon), alternating which goes first in each round so drift in the machine's
 * load falls on both. Each round's two runs are compared with each other, and the median of the
 * per-round ratios is reported with the means: on a shared machine a single pair of long runs
 * says more about the neighbours than about the store. Also prints gateway CPU per request.
 * Run: `npx tsx bench/store-cost.ts [rounds] [seconds]`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startSimulator } from '../simulator/index.js';

const ROUNDS = Number(process.argv[2] ?? 16);
const SECONDS = Number(process.argv[3] ?? 3);
const CONNECTIONS = 32;
const BODY = JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] });

interface Target {
  name: 'store on' | 'store off';
  child: ChildProcess;
  url: string;
  rps: number[];
  cpuMicrosPerRequest: number[];
}

async function startGateway(dir: string, simUrl: string, enabled: boolean, port: number) {
  const config = join(dir, `tollgate-${enabled ? 'on' : 'off'}.yaml`);
  const lines = [
    `listen: { host: 127.0.0.1, port: ${port} }`,
    'upstreams:',
    `  - { name: openai, protocol: openai, base_url: "${simUrl}",`,
    '      accounts: [{ name: a, api_key: sk-bench-a }, { name: b, api_key: sk-bench-b }] }',
    `storage: { enabled: ${enabled}, path: "${join(dir, 'usage.json')}" }`,
    'log: { level: warn }',
  ];
  await writeFile(config, lines.join('\n'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', config], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway on ${url} did not start`);
}

function cpuSeconds(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then((text) => {
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  });
}

async function load(target: Target, seconds: number): Promise<void> {
  const before = await cpuSeconds(target.child.pid!);
  const result = await autocannon({
    url: `${target.url}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
    connections: CONNECTIONS,
    duration: seconds,
  });
  const cpu = (await cpuSeconds(target.child.pid!)) - before;
  if (result.non2xx || result.errors) throw new Error(`${target.name}: ${result.non2xx} non-2xx`);
  target.rps.push(result.requests.average);
  target.cpuMicrosPerRequest.push((cpu * 1e6) / result.requests.total);
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-store-bench-'));
  const sim = await startSimulator({ compress: false });
  const on = await startGateway(dir, sim.url, true, 18181);
  const off = await startGateway(dir, sim.url, false, 18182);
  const targets: Target[] = [
    { name: 'store on', ...on, rps: [], cpuMicrosPerRequest: [] },
    { name: 'store off', ...off, rps: [], cpuMicrosPerRequest: [] },
  ];
  try {
    for (const t of targets) await load(t, 5); // warm-up, not counted
    for (const t of targets) ((t.rps.length = 0), (t.cpuMicrosPerRequest.length = 0));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) await load(t, SECONDS);
    }
    report(targets);
    const usage = await stat(join(dir, 'usage.json'));
    console.log(`usage.json after the run: ${usage.size} bytes`);
  } finally {
    for (const t of targets) {
      t.child.kill('SIGTERM');
      await once(t.child, 'exit');
    }
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function report(targets: Target[]): void {
  const [on, off] = targets;
  for (const t of targets) {
    const rounds = t.rps.map((r) => r.toFixed(0)).join(', ');
    console.log(
      `${t.name}: mean ${mean(t.rps).toFixed(0)} req/s (rounds: ${rounds}); ` +
        `gateway CPU ${mean(t.cpuMicrosPerRequest).toFixed(0)} µs/request`,
    );
  }
  const rps = on.rps.map((r, i) => r / off.rps[i]);
  const cpu = on.cpuMicrosPerRequest.map((c, i) => c / off.cpuMicrosPerRequest[i]);
  console.log(
    `throughput with the store / without: median of rounds ${pct(median(rps))}, ` +
      `ratio of means ${pct(mean(on.rps) / mean(off.rps))}`,
  );
  console.log(
    `gateway CPU per request with the store / without: median of rounds ${pct(median(cpu))}, ` +
      `ratio of means ${pct(mean(on.cpuMicrosPerRequest) / mean(off.cpuMicrosPerRequest))}`,
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

await main();
