import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP pass-through to a real NATS server that delays every chunk, each way, by `delayMs`: a
 * broker across a slow network. Nothing is changed or dropped, and the order is kept (timers of
 * one delay fire in the order they were set). Drains then take long enough for chaos to land
 * while they run, whatever the speed of the machine.
 */
export class LatencyProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly delayMs: number,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      const forward = (from: Socket, to: Socket) =>
        from.on('data', (chunk) => {
          setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
          }, this.delayMs);
        });
      forward(client, upstream);
      forward(upstream, client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}
