import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP pass-through to a real server that a test can cut, to see how the app bears an outage.
 * With `delayMs`, every chunk is held that long each way (a server across a slow network):
 * nothing is changed or dropped, and the order is kept (timers of one delay fire in the order
 * they were set).
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly delayMs = 0,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      if (this.delayMs === 0) client.pipe(upstream).pipe(client);
      else {
        this.forwardLate(client, upstream);
        this.forwardLate(upstream, client);
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  private forwardLate(from: Socket, to: Socket): void {
    from.on('data', (chunk) => {
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, this.delayMs);
    });
  }

  /** Drops every connection and refuses new ones, as a crashed database would. */
  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server = undefined;
  }
}
