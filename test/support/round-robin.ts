import { createServer, IncomingMessage, Server } from 'node:http';
import { request } from 'undici';

export interface RoundRobinResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The process that answered. */
  base: string;
}

/** A request gives up after this long without progress: no process answering at all, or only "busy". */
const STALL_MS = 45_000;

/**
 * A client behind a round-robin load balancer: each request goes to the next API process.
 * A process that does not answer (killed, restarting) is skipped and the request is sent to
 * the next one, as is a 409 "same Idempotency-Key in flight" or a 503 after a short pause:
 * what a client that follows the API's contract does. It gives up on a stall, not on a total
 * time: when no process has answered any request for 45 s, or this one only "busy" for 45 s.
 */
export class RoundRobinClient {
  private turn = 0;
  /** Requests sent again because a process did not answer. */
  networkRetries = 0;
  /** Requests sent again after a 409 IDEMPOTENCY.REQUEST_IN_FLIGHT or a 503. */
  conflictRetries = 0;
  readonly answeredBy = new Map<string, number>();
  /** When a process last answered anything (progress for every request waiting on a restart). */
  private answeredAt = Date.now();

  constructor(readonly bases: string[]) {}

  /** `avoid`: start with another process than this one (to replay a request elsewhere). */
  async send(
    method: 'GET' | 'POST',
    path: string,
    options: { headers?: Record<string, string>; body?: unknown; avoid?: string; stallMs?: number } = {},
  ): Promise<RoundRobinResponse> {
    const stallMs = options.stallMs ?? STALL_MS;
    let busySince: number | undefined;
    for (let attempt = 0; ; attempt++) {
      // Another process than `avoid`, unless no other one answered for two rounds.
      const base = this.pick(attempt < 2 * this.bases.length ? options.avoid : undefined);
      try {
        const response = await request(`${base}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...options.headers },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          headersTimeout: 20_000,
          bodyTimeout: 20_000,
        });
        const text = await response.body.text();
        const body = text ? (JSON.parse(text) as unknown) : null;
        this.answeredAt = Date.now();
        const busy =
          response.statusCode === 503 ||
          (response.statusCode === 409 && (body as { code?: string } | null)?.code === 'IDEMPOTENCY.REQUEST_IN_FLIGHT');
        busySince = busy ? (busySince ?? Date.now()) : undefined;
        if (busy && Date.now() - busySince! < stallMs) {
          this.conflictRetries++;
          await sleep(300);
          continue;
        }
        this.answeredBy.set(base, (this.answeredBy.get(base) ?? 0) + 1);
        return { status: response.statusCode, headers: response.headers, body, base };
      } catch (error) {
        if (Date.now() - this.answeredAt > stallMs) throw new Error(`${method} ${path}: no process answered anything for ${stallMs} ms: ${String(error)}`);
        this.networkRetries++;
        // A whole round without an answer: give the processes a moment.
        if ((attempt + 1) % this.bases.length === 0) await sleep(200);
      }
    }
  }

  private pick(avoid?: string): string {
    const base = this.bases[this.turn++ % this.bases.length];
    return base === avoid ? this.bases[this.turn++ % this.bases.length] : base;
  }
}

/**
 * Stripe sends each event to one endpoint URL; behind it, a load balancer spreads the
 * deliveries over the processes. This is that balancer: each POST goes to the next process,
 * unchanged (the signature covers the raw body); a process that does not answer is a 502,
 * which Stripe (here, the test) answers by delivering the event again.
 */
export class RoundRobinForwarder {
  private server?: Server;
  private turn = 0;
  readonly forwardedTo = new Map<string, number>();
  failures = 0;

  constructor(private readonly bases: string[]) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.forward(req).then(({ status, body }) => res.writeHead(status, { 'content-type': 'application/json' }).end(body));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async forward(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const base = this.bases[this.turn++ % this.bases.length];
    try {
      const response = await request(`${base}${req.url ?? '/'}`, {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json', 'stripe-signature': req.headers['stripe-signature'] ?? '' },
        body: Buffer.concat(chunks),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      this.forwardedTo.set(base, (this.forwardedTo.get(base) ?? 0) + 1);
      return { status: response.statusCode, body: await response.body.text() };
    } catch (error) {
      this.failures++;
      return { status: 502, body: JSON.stringify({ error: `upstream ${base} did not answer: ${String(error)}` }) };
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
