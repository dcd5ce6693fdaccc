import { once } from 'node:events';
import type { Server, ServerResponse } from 'node:http';

/**
 * The requests a server is answering, so that a shutdown can let them finish. Draining stops
 * the listener (new connections are refused), closes idle keep-alive connections, answers any
 * request still arriving on an open connection with `Connection: close`, and waits for the
 * answers in flight up to a grace period; whatever is left then is cut.
 */
export class InFlight {
  private readonly active = new Set<ServerResponse>();
  private draining = false;
  private endGrace?: () => void;

  constructor(private readonly server: Server) {
    server.on('request', (_req, res: ServerResponse) => this.track(res));
  }

  get count(): number {
    return this.active.size;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Resolves with the number of answers cut because the grace period ran out. */
  async drain(graceMs: number): Promise<number> {
    // Step 1: refuse new connections; answers not yet begun will close theirs when done.
    this.draining = true;
    for (const res of this.active) if (!res.headersSent) res.shouldKeepAlive = false;
    const closed = once(this.server, 'close');
    this.server.close();

    // Step 2: wait for the answers in flight, or the end of the grace period.
    if (this.active.size > 0 && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.endGrace = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }

    // Step 3: cut what is left, so that the server closes.
    const cut = this.active.size;
    this.server.closeAllConnections();
    await closed;
    return cut;
  }

  /** Ends the grace period now (a second signal). */
  hurry(): void {
    this.endGrace?.();
  }

  private track(res: ServerResponse): void {
    this.active.add(res);
    if (this.draining) res.shouldKeepAlive = false;
    res.once('close', () => {
      this.active.delete(res);
      if (!this.draining) return;
      // The finished answer leaves its keep-alive connection idle: close it, or the server
      // would wait for the client to hang up.
      this.server.closeIdleConnections();
      if (this.active.size === 0) this.endGrace?.();
    });
  }
}
