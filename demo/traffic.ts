import { drawShot } from './mix.js';
import { fire, type FaultSwitch } from './shots.js';

export interface TrafficOptions {
  gatewayUrl: string;
  clientKeys: readonly string[];
  faults?: FaultSwitch;
  /** Shots in flight at once (default 3). */
  concurrency?: number;
  /** Longest pause between two shots of one sender (default 1500 ms). */
  maxPauseMs?: number;
}

/** Sends the realistic mix until `signal` aborts; a failed shot is reported, never fatal. */
export async function runTraffic(options: TrafficOptions, signal: AbortSignal): Promise<void> {
  const senders = Array.from({ length: options.concurrency ?? 3 }, () => send(options, signal));
  await Promise.all(senders);
}

async function send(options: TrafficOptions, signal: AbortSignal): Promise<void> {
  const maxPause = options.maxPauseMs ?? 1500;
  while (!signal.aborted) {
    const shot = drawShot(options.clientKeys);
    try {
      await fire(options.gatewayUrl, shot, options.faults);
    } catch (error) {
      if (!signal.aborted) console.error(`traffic: ${shot.scenario} failed: ${String(error)}`);
    }
    await pause(Math.random() * maxPause, signal);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
