import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

/**
 * The HTTP server of a simulator (Stripe, the suppliers): `start` listens (port 0: any free
 * one), `stop` cuts every open connection first, hung ones included, so that it never waits
 * for a request the simulator chose not to answer.
 */
export class SandboxHttpServer {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>) {}

  async start(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    this.server = server;
    const actual = (server.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${actual}`, port: actual };
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

/** The whole request body as text: the simulators parse it their own way (form, JSON, XML). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
  });
}

/**
 * A server that never answers, as a timeout fault: the socket is cut after `delayMs` (or by
 * `stop()`). The timer is unref'd so that a hung request never keeps the process alive.
 */
export function hang(res: ServerResponse, delayMs = 30_000): void {
  setTimeout(() => res.socket?.destroy(), delayMs).unref();
}
