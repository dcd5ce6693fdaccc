import type { AccountConfig } from '../config/schema.js';

/** One credential of an upstream, with the state that decides whether it may take requests. */
export class Account {
  readonly name: string;
  readonly upstream: string;
  apiKey: string;
  headers: Readonly<Record<string, string>>;
  /** Attempts currently running on this account. */
  inFlight = 0;
  /** Epoch ms until which a 429 keeps the account out of rotation. */
  coolingUntil = 0;
  /** Epoch ms until which a 401/403 keeps it out; after that one probe attempt may use it. */
  disabledUntil = 0;
  /** Set by a 401/403 and cleared by any other answer: while a probe of a once-disabled
   * account is in flight, no other attempt may use it. */
  probing = false;

  constructor(config: AccountConfig, upstream: string) {
    this.name = config.name;
    this.upstream = upstream;
    this.apiKey = config.api_key;
    this.headers = config.headers;
  }

  /** Takes a reloaded configuration of the same account. Cool-down and attempts in flight stay;
   * a new key is a new credential, so a 401/403 earned by the old one no longer holds it out. */
  update(config: AccountConfig): void {
    if (config.api_key !== this.apiKey) {
      this.disabledUntil = 0;
      this.probing = false;
    }
    this.apiKey = config.api_key;
    this.headers = config.headers;
  }

  isAvailable(now = Date.now()): boolean {
    if (this.probing && this.inFlight > 0) return false;
    return now >= this.coolingUntil && now >= this.disabledUntil;
  }

  get disabled(): boolean {
    return this.disabledUntil > Date.now();
  }

  get coolingDown(): boolean {
    return this.coolingUntil > Date.now();
  }

  /** Keeps credentials out of any accidental `JSON.stringify` or log serialisation. */
  toJSON(): object {
    return { name: this.name, upstream: this.upstream };
  }
}
