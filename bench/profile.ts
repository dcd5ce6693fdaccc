import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startTollgate, TOLLGATE_VARIANTS } from './targets.js';
import { startUpstream } from './upstream.js';
import { WORKLOADS } from './workloads.js';

/**
 * `npm run bench:profile -- --workload "chat JSON" [--seconds 10] [--connections 16]`: loads
 * Tollgate (everything on) with one workload under `node --cpu-prof` and prints where its CPU
 * went: by package or source directory, then the hottest functions by self time. The profile
 * file stays in the printed directory for Chrome DevTools or speedscope.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workload: { type: 'string', default: 'chat JSON' },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '16' },
    },
  });
  const workload = WORKLOADS.find((w) => w.name === values.workload);
  if (!workload) throw new Error(`no workload "${values.workload}"`);
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-profile-'));
  const upstream = await startUpstream();
  const tollgate = await startTollgate(upstream, TOLLGATE_VARIANTS[0], [
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
  ]);
  try {
    const { path, method, headers, body } = workload;
    const result = await autocannon({
      url: tollgate.origin + path,
      method,
      headers,
      body,
      connections: Number(values.connections),
      duration: Number(values.seconds),
    });
    process.stdout.write(`${result.requests.total} requests, ${result.non2xx} non-2xx\n`);
  } finally {
    await tollgate.stop();
    await upstream.stop();
  }
  // The loader's worker thread writes a profile too; the main thread's is the largest.
  const file = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0];
  if (!file) throw new Error(`no profile written in ${dir}`);
  process.stdout.write(summarize(JSON.parse(readFileSync(join(dir, file), 'utf8'))));
  process.stdout.write(`\nprofile: ${join(dir, file)}\n`);
}

/** Self time by where the code lives, then by function. */
function summarize(profile: Profile): string {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + profile.timeDeltas[i]));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const place = placeOf(url, functionName);
    byPlace.set(place, (byPlace.get(place) ?? 0) + time);
    const fn = `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + time);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, t]) => `${((t / total) * 100).toFixed(1).padStart(5)} %  ${name}`)
      .join('\n');
  return `\nself time by place:\n${top(byPlace, 25)}\n\nhottest functions:\n${top(byFunction, 40)}\n`;
}

function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const path = shortUrl(url);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1];
  if (path.startsWith('node:')) return path.split('/')[0];
  return path.split('/').slice(0, 2).join('/');
}

function shortUrl(url: string): string {
  return url.startsWith('file://') ? relative(ROOT, fileURLToPath(url)) : url;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:profile: FAILED: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
