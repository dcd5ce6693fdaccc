import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import type { LogLine } from './gateway.js';

/** The `tollgate` process as an operator runs it, with its log lines parsed as they come. */
export interface ChildGateway {
  child: ChildProcess;
  url: string;
  logs: LogLine[];
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Resolves with the first log line, from now on or already seen, that `match` accepts. */
  logLine(match: (line: LogLine) => boolean): Promise<LogLine>;
}

/** Writes `config` as YAML to `configPath`. */
export async function writeConfig(configPath: string, config: unknown): Promise<void> {
  await writeFile(configPath, stringify(config));
}

/** Starts `bin/tollgate.js --config configPath` and resolves once it listens. */
export async function startChild(
  configPath: string,
  env: Record<string, string | undefined> = {},
): Promise<ChildGateway> {
  const child = spawn(process.execPath, ['bin/tollgate.js', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const logs: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as LogLine;
    logs.push(line);
    for (const waiter of [...waiters]) {
      if (!waiter.match(line)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  const logLine = (match: (line: LogLine) => boolean) => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve) => waiters.push({ match, resolve }));
  };
  const listening = await Promise.race([
    logLine((l) => l.msg === 'tollgate listening'),
    exited.then(() => undefined),
  ]);
  if (!listening) throw new Error('the gateway exited before listening');
  return { child, url: listening.url as string, logs, exited, logLine };
}
