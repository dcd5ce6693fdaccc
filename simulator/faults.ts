/**
 * Failures a test arms before sending requests: an HTTP error answer, a connection reset
 * before any response, or a request that is never answered.
 */
export type Fault = StatusFault | { kind: 'destroy' } | { kind: 'hang' };

/**
 * An error answer; without `body`, the one OpenAI sends for that status. It carries no
 * rate-limit headers unless given here, so a test decides exactly what a gateway sees.
 * Headers set to `undefined` are left out.
 */
export interface StatusFault {
  status: number;
  headers?: Record<string, string | undefined>;
  body?: unknown;
}

interface Armed {
  fault: Fault;
  remaining: number;
}

/**
 * Armed faults. `failNext` ones apply, in the order armed, to whatever requests come next;
 * `failAccount` ones to requests whose bearer key matches, after the `failNext` queue is empty.
 */
export class FaultBook {
  private readonly queue: Armed[] = [];
  private readonly byAccount = new Map<string, Armed>();

  failNext(fault: Fault, times: number): void {
    this.queue.push({ fault, remaining: checkTimes(times) });
  }

  failAccount(apiKey: string, fault: Fault, times: number): void {
    this.byAccount.set(apiKey, { fault, remaining: checkTimes(times) });
  }

  /** The fault for this request, if any, counting it as used. */
  take(apiKey: string | undefined): Fault | undefined {
    const next = this.queue[0];
    if (next) return use(next, () => this.queue.shift());
    const forAccount = apiKey === undefined ? undefined : this.byAccount.get(apiKey);
    if (forAccount) return use(forAccount, () => this.byAccount.delete(apiKey!));
    return undefined;
  }

  clear(): void {
    this.queue.length = 0;
    this.byAccount.clear();
  }
}

function use(armed: Armed, discard: () => void): Fault {
  armed.remaining -= 1;
  if (armed.remaining <= 0) discard();
  return armed.fault;
}

/** A count below 1 would arm nothing, which is always a mistake in the test. */
function checkTimes(times: number): number {
  if (times !== Infinity && (!Number.isSafeInteger(times) || times < 1)) {
    throw new RangeError(`times must be a positive integer or Infinity, got ${times}`);
  }
  return times;
}
