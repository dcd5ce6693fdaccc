import { EventEmitter, once } from 'node:events';
import net from 'node:net';

/** An upstream connection seen by the relay. */
export interface RelayedConnection {
  /** Settles when the gateway side of the connection has closed. */
  closed: Promise<void>;
}

/**
 * A TCP relay put between the gateway and its upstream. Bytes pass both ways untouched; the
 * relay reports when a connection carries its first request bytes and when it closes, so a test
 * sees the gateway drop an upstream connection without reaching into the upstream's internals.
 */
export class TcpRelay extends EventEmitter {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly target: { host: string; port: number }) {
    super();
    this.server = net.createServer((inbound) => this.relay(inbound));
  }

  /** The base URL of an OpenAI upstream behind the relay. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}/v1`;
  }

  async listen(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  /** Resolves when a new connection delivers its first request bytes to the upstream. */
  async nextConnection(): Promise<RelayedConnection> {
    return ((await once(this, 'connection')) as [RelayedConnection])[0];
  }

  async close(): Promise<void> {
    const closed = once(this.server, 'close');
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private relay(inbound: net.Socket): void {
    const outbound = net.connect(this.target);
    this.sockets.add(inbound);
    const closed = new Promise<void>((resolve) => inbound.once('close', () => resolve()));
    inbound.once('data', () => this.emit('connection', { closed }));
    inbound.pipe(outbound).pipe(inbound);
    inbound.once('close', () => {
      this.sockets.delete(inbound);
      outbound.destroy();
    });
    outbound.once('close', () => inbound.destroy());
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  }
}

export async function startTcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  const relay = new TcpRelay(target);
  await relay.listen();
  return relay;
}
