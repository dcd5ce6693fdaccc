import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ProcessProbe } from './proc.js';
import type { TraceSinkCounts, UpstreamAddresses } from './upstream-process.js';

/** The simulated upstream and the trace sink, running in bench/upstream-process.ts. */
export interface Upstream extends UpstreamAddresses {
  probe: ProcessProbe;
  /** OTLP exports the sink has received so far. */
  traceCounts(): Promise<TraceSinkCounts>;
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('upstream-process.ts', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export async function startUpstream(): Promise<Upstream> {
  const child = fork(SCRIPT, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const timer = setTimeout(() => child.kill('SIGKILL'), READY_TIMEOUT_MS);
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(() => {
      throw new Error('bench: the simulated upstream exited before it was ready');
    }),
  ])) as [{ ready: UpstreamAddresses }];
  clearTimeout(timer);
  // The child exits when this process does, since its IPC channel closes with it.
  return {
    ...message.ready,
    probe: new ProcessProbe(child.pid!),
    traceCounts: async () => {
      child.send({ counts: true });
      const [answer] = (await once(child, 'message')) as [{ counts: TraceSinkCounts }];
      return answer.counts;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exit = once(child, 'exit');
      child.disconnect();
      await exit;
    },
  };
}
