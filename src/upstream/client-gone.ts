import { EventEmitter } from 'node:events';

/**
 * Says that the client of an exchange has gone, which cancels its upstream request. undici
 * takes any EventEmitter with `aborted` and an `abort` event as a request's signal; this one
 * replaces an AbortController, whose EventTarget machinery costs several objects and listeners
 * on every exchange, though almost no exchange is ever aborted.
 */
export class ClientGone extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}
