import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { StatusWebhookBody } from '@app/lifecycle-events';

/** One POST that reached the receiver, in arrival order. */
export interface WebhookDelivery {
  /** 1, 2, 3…: the arrival order over every delivery this receiver saw. */
  seq: number;
  /** The `webhook-id` header. */
  id: string;
  /** The how-many-th delivery of this `webhook-id` (1: the first). */
  nth: number;
  /** `new Webhook(secret).verify(rawBody, headers)` passed. */
  verified: boolean;
  verifyError?: string;
  raw: string;
  /** The body, parsed (undefined if it was not JSON). */
  body: StatusWebhookPayload | undefined;
  headers: Record<string, string>;
  /** What the receiver answered: a status, or `hung` (it never answered; the sender gave up). */
  answer: number | 'hung';
}

/** The body the product sends (docs/webhooks.md), as a receiver reads it. */
export type StatusWebhookPayload = StatusWebhookBody;

/** What the receiver does with one (verified) delivery. */
export type WebhookAnswer = { status: number; headers?: Record<string, string> } | { hang: true };

/** Decides the answer to a delivery; `undefined`: the next rule (or 200). */
export type WebhookRule = (
  delivery: Readonly<Omit<WebhookDelivery, 'answer' | 'seq'>>,
) => WebhookAnswer | undefined;

/**
 * A merchant's endpoint: a real HTTP server on 127.0.0.1 that verifies every delivery with the
 * `standardwebhooks` package and records it. A delivery that fails verification is answered
 * 401, as a receiver would (and so, being a 4xx, is never retried by the product). The
 * answers to verified deliveries are scripted by rules, first match wins, 200 otherwise.
 */
export class WebhookReceiver {
  readonly deliveries: WebhookDelivery[] = [];
  private rules: WebhookRule[] = [];
  private server?: Server;
  private readonly hung = new Set<ServerResponse>();
  private verifier: Webhook;

  constructor(secret: string) {
    this.verifier = new Webhook(secret);
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the webhook receiver is not started');
    return `http://127.0.0.1:${address.port}/hooks/reservations`;
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => this.receive(request, response));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    return this.url;
  }

  async stop(): Promise<void> {
    for (const response of this.hung) response.destroy();
    this.hung.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Verifies with another secret from now on (as a receiver configured with the wrong one). */
  useSecret(secret: string): void {
    this.verifier = new Webhook(secret);
  }

  /** Replaces the script; `[]`: answer 200 to every verified delivery. */
  script(...rules: WebhookRule[]): void {
    this.rules = rules;
  }

  /** Forgets what was delivered and the script. */
  reset(): void {
    this.deliveries.length = 0;
    this.rules = [];
  }

  /** The deliveries answered 2xx (at most one per id is expected, in arrival order). */
  accepted(filter: (delivery: WebhookDelivery) => boolean = () => true): WebhookDelivery[] {
    return this.deliveries.filter(
      (delivery) => typeof delivery.answer === 'number' && delivery.answer < 300 && filter(delivery),
    );
  }

  /** Every delivery of one reservation, in arrival order. */
  of(reservationCode: string): WebhookDelivery[] {
    return this.deliveries.filter((delivery) => delivery.body?.data.reservation_code === reservationCode);
  }

  private receive(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
      let verified = true;
      let verifyError: string | undefined;
      try {
        this.verifier.verify(raw, headers);
      } catch (error) {
        verified = false;
        verifyError = error instanceof Error ? error.message : String(error);
      }
      let body: StatusWebhookPayload | undefined;
      try {
        body = JSON.parse(raw) as StatusWebhookPayload;
      } catch {
        body = undefined;
      }
      const id = headers['webhook-id'] ?? '';
      const nth = this.deliveries.filter((delivery) => delivery.id === id).length + 1;
      const seen = { id, nth, verified, verifyError, raw, body, headers };
      let answer: WebhookAnswer = { status: 401 };
      if (request.method !== 'POST') answer = { status: 405 };
      else if (verified)
        answer = this.rules.reduce<WebhookAnswer | undefined>(
          (found, rule) => found ?? rule(seen),
          undefined,
        ) ?? { status: 200 };
      const delivery: WebhookDelivery = {
        seq: this.deliveries.length + 1,
        ...seen,
        answer: 'hang' in answer ? 'hung' : answer.status,
      };
      this.deliveries.push(delivery);
      if ('hang' in answer) {
        // Never answered: the sender's timeout ends it (its socket closes), or stop() does.
        this.hung.add(response);
        response.on('close', () => this.hung.delete(response));
        return;
      }
      response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      response.end(answer.status < 300 ? 'ok' : 'no');
    });
  }
}

/** Scripts for the usual receivers. */
export const rules = {
  /** 500 to the first delivery of every id: each is accepted on its retry. */
  failFirstOfEachId:
    (status = 500): WebhookRule =>
    (delivery) =>
      delivery.nth === 1 ? { status } : undefined,
  /** `status` (a 4xx) to every delivery that matches. */
  refuse:
    (
      match: (delivery: Readonly<Omit<WebhookDelivery, 'answer' | 'seq'>>) => boolean,
      status = 400,
    ): WebhookRule =>
    (delivery) =>
      match(delivery) ? { status } : undefined,
  /** `status` (400 unless told) to every delivery of these webhook-ids. */
  refuseIds:
    (ids: Iterable<string>, status = 400): WebhookRule =>
    (delivery) =>
      new Set(ids).has(delivery.id) ? { status } : undefined,
  /** 429 with `Retry-After` to the first `times` deliveries of every matching id. */
  tooManyRequests:
    (
      match: (delivery: Readonly<Omit<WebhookDelivery, 'answer' | 'seq'>>) => boolean,
      retryAfterSeconds: string,
      times = 1,
    ): WebhookRule =>
    (delivery) =>
      match(delivery) && delivery.nth <= times
        ? { status: 429, headers: { 'retry-after': retryAfterSeconds } }
        : undefined,
  /** Never answers the first `times` deliveries of every matching id. */
  hang:
    (
      match: (delivery: Readonly<Omit<WebhookDelivery, 'answer' | 'seq'>>) => boolean,
      times = 1,
    ): WebhookRule =>
    (delivery) =>
      match(delivery) && delivery.nth <= times ? { hang: true } : undefined,
  /** `status` (a 5xx) to the first `times` deliveries of every matching id. */
  failFirst:
    (
      match: (delivery: Readonly<Omit<WebhookDelivery, 'answer' | 'seq'>>) => boolean,
      status = 503,
      times = 1,
    ): WebhookRule =>
    (delivery) =>
      match(delivery) && delivery.nth <= times ? { status } : undefined,
};
