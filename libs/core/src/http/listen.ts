import { INestApplication } from '@nestjs/common';

/**
 * The accept queue of the API's socket. Node's default (511) overflows when a burst of new
 * connections meets a busy event loop: Linux drops the handshakes it cannot queue and, once its
 * SYN-ACK retries run out, answers the client's request with a reset (ECONNRESET) that the
 * application never saw. The kernel caps it at `net.core.somaxconn` (4096 on Linux ≥ 5.4).
 */
export const LISTEN_BACKLOG = 4096;

/** `app.listen(port, host)` with the backlog above: what main.ts and the socket tests use. */
export async function listen(app: INestApplication, port: number, host: string): Promise<void> {
  // Nest hands extra arguments on to `server.listen(port, host, backlog)`; its types stop at the host.
  const listenWithBacklog = app.listen.bind(app) as unknown as (port: number, host: string, backlog: number) => Promise<unknown>;
  await listenWithBacklog(port, host, LISTEN_BACKLOG);
}
