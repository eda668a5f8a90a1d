import { createHash } from 'node:crypto';
import { IncomingMessage, request as httpRequest, ServerResponse } from 'node:http';
import * as qs from 'qs';
import { SandboxHttpServer } from '../http-server';
import {
  newEvent,
  newPaymentIntent,
  newRefund,
  SandboxRefund,
  SandboxEvent,
  SandboxPaymentIntent,
  signStripePayload,
  StripeApiError,
  unixNow,
} from './stripe-objects';

export type SandboxOperation =
  | 'create_payment_intent'
  | 'retrieve_payment_intent'
  | 'cancel_payment_intent'
  | 'create_refund'
  | 'list_refunds';

export interface Fault {
  operation: SandboxOperation | 'any';
  /** error: answer `status`, change nothing; timeout: change nothing, hang; commit_then_timeout: do it, then hang. */
  mode: 'error' | 'timeout' | 'commit_then_timeout';
  count?: number;
  status?: number;
  delay_ms?: number;
}

export interface CustomerActionResult {
  payment_intent: SandboxPaymentIntent;
  event: SandboxEvent;
  delivery: { status_code: number | null } | null;
}

interface Answer {
  status: number;
  body: unknown;
}

// Stripe cancels a `processing` intent only "in rare cases" (not cards, not bank debits): the
// sandbox refuses, so that an expiry can meet an intent it cannot cancel yet.
const CANCELABLE = ['requires_payment_method'];

/**
 * A Stripe-compatible server for development and tests: the subset of the API the product
 * uses (PaymentIntents and refunds: form-encoded requests, Stripe-shaped objects and errors,
 * Idempotency-Key), the
 * customer's card (succeed, fail, process) with webhooks signed as Stripe signs them, and
 * fault injection. State is in memory.
 */
export class StripeSandbox {
  private readonly http = new SandboxHttpServer((req, res) => this.route(req, res));
  private intents = new Map<string, SandboxPaymentIntent>();
  private log: SandboxEvent[] = [];
  private refundList: SandboxRefund[] = [];
  private idempotent = new Map<string, { fingerprint: string; answer: Answer }>();
  private faults: Fault[] = [];
  private counts = new Map<string, number>();
  private retrievalsById = new Map<string, number>();
  private webhookUrl?: string;

  constructor(
    private readonly options: { webhookSecret: string; webhookUrl?: string; logger?: { log(m: string): void; warn(m: string): void } },
  ) {
    this.webhookUrl = options.webhookUrl;
  }

  setWebhookUrl(url: string): void {
    this.webhookUrl = url;
  }

  start(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    return this.http.start(port, host);
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  reset(): void {
    this.intents = new Map();
    this.log = [];
    this.refundList = [];
    this.idempotent = new Map();
    this.faults = [];
    this.counts = new Map();
    this.retrievalsById = new Map();
  }

  injectFault(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  calls(operation: SandboxOperation): number {
    return this.counts.get(operation) ?? 0;
  }

  /** GET /v1/payment_intents/{id} requests for one intent, faulted ones included. */
  retrievals(id: string): number {
    return this.retrievalsById.get(id) ?? 0;
  }

  paymentIntent(id: string): SandboxPaymentIntent | undefined {
    return this.intents.get(id);
  }

  paymentIntents(): SandboxPaymentIntent[] {
    return [...this.intents.values()];
  }

  events(): SandboxEvent[] {
    return [...this.log];
  }

  refunds(): SandboxRefund[] {
    return [...this.refundList];
  }

  /** Stripe keeps idempotency keys for 24 hours: this is the day after, when a key is new again. */
  forgetIdempotencyKeys(): void {
    this.idempotent = new Map();
  }

  /** What has been refunded of an intent so far. */
  refundedAmount(paymentIntentId: string): number {
    return this.refundList.filter((r) => r.payment_intent === paymentIntentId).reduce((sum, r) => sum + r.amount, 0);
  }

  // --- the customer's card -----------------------------------------------------------

  succeed(id: string, options: { deliver?: boolean } = {}): Promise<CustomerActionResult> {
    return this.act(id, 'payment_intent.succeeded', options, (intent) => {
      intent.status = 'succeeded';
      intent.amount_received = intent.amount;
      intent.last_payment_error = null;
    });
  }

  fail(id: string, options: { deliver?: boolean; message?: string; decline_code?: string } = {}): Promise<CustomerActionResult> {
    return this.act(id, 'payment_intent.payment_failed', options, (intent) => {
      intent.status = 'requires_payment_method';
      intent.last_payment_error = {
        type: 'card_error',
        code: 'card_declined',
        decline_code: options.decline_code ?? 'generic_decline',
        message: options.message ?? 'Your card was declined.',
      };
    });
  }

  process(id: string, options: { deliver?: boolean } = {}): Promise<CustomerActionResult> {
    return this.act(id, 'payment_intent.processing', options, (intent) => {
      intent.status = 'processing';
    });
  }

  /** Sends one recorded event to the webhook URL; the status code, or null if nobody answered. */
  async deliver(eventId: string): Promise<number | null> {
    const event = this.log.find((candidate) => candidate.id === eventId);
    if (!event || !this.webhookUrl) return null;
    const payload = JSON.stringify(event, null, 2);
    const url = new URL(this.webhookUrl);
    return new Promise((resolve) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          timeout: 5000,
          headers: {
            'Content-Type': 'application/json; charset=utf-8',
            'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
            'Stripe-Signature': signStripePayload(payload, this.options.webhookSecret),
            'Content-Length': Buffer.byteLength(payload),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? null));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', (error) => {
        this.options.logger?.warn(`webhook ${event.type} not delivered: ${error.message}`);
        resolve(null);
      });
      req.end(payload);
    });
  }

  private async act(
    id: string,
    type: string,
    options: { deliver?: boolean },
    change: (intent: SandboxPaymentIntent) => void,
  ): Promise<CustomerActionResult> {
    const intent = this.intents.get(id);
    if (!intent) throw new Error(`No such payment_intent: ${id}`);
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      throw new Error(`payment_intent ${id} is ${intent.status}`);
    }
    change(intent);
    const event = this.record(type, intent);
    const status = options.deliver === false ? undefined : await this.deliver(event.id);
    return { payment_intent: structuredClone(intent), event, delivery: status === undefined ? null : { status_code: status } };
  }

  private record(type: string, intent: SandboxPaymentIntent): SandboxEvent {
    const event = newEvent(type, intent);
    this.log.push(event);
    return event;
  }

  // --- HTTP ------------------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname;
    try {
      if (path.startsWith('/sandbox/')) return send(res, await this.simulation(req.method ?? 'GET', path, raw, url));
      if (!/^Bearer sk_\S+/.test(req.headers.authorization ?? '')) {
        return send(res, { status: 401, body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } } });
      }
      const params = qs.parse(raw) as Record<string, unknown>;
      const intentPath = /^\/v1\/payment_intents\/([^/]+)(\/cancel)?$/.exec(path);
      if (req.method === 'POST' && path === '/v1/payment_intents') {
        return await this.api(req, res, 'create_payment_intent', params, () => {
          const intent = newPaymentIntent(params);
          this.intents.set(intent.id, intent);
          return intent;
        });
      }
      if (req.method === 'GET' && intentPath && !intentPath[2]) {
        this.retrievalsById.set(intentPath[1], this.retrievals(intentPath[1]) + 1);
        return await this.api(req, res, 'retrieve_payment_intent', params, () => this.find(intentPath[1]));
      }
      if (req.method === 'POST' && path === '/v1/refunds') {
        return await this.api(req, res, 'create_refund', params, () => {
          const id = String(params.payment_intent ?? '');
          const refund = newRefund(this.intents.get(id), this.refundedAmount(id), params);
          this.refundList.push(refund);
          return refund;
        });
      }
      if (req.method === 'GET' && path === '/v1/refunds') {
        const intent = url.searchParams.get('payment_intent');
        return await this.api(req, res, 'list_refunds', params, () => ({
          object: 'list',
          url: '/v1/refunds',
          has_more: false,
          data: this.refundList.filter((refund) => !intent || refund.payment_intent === intent).reverse(),
        }));
      }
      if (req.method === 'POST' && intentPath?.[2]) {
        return await this.api(req, res, 'cancel_payment_intent', params, () => this.cancel(intentPath[1], params));
      }
      send(res, { status: 404, body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${path})` } } });
    } catch (error) {
      send(res, { status: 500, body: { error: { type: 'api_error', message: (error as Error).message } } });
    }
  }

  /** Counting, faults and Idempotency-Key around one API operation. */
  private async api(
    req: IncomingMessage,
    res: ServerResponse,
    operation: SandboxOperation,
    params: Record<string, unknown>,
    perform: () => unknown,
  ): Promise<void> {
    this.counts.set(operation, this.calls(operation) + 1);
    const key = req.method === 'POST' ? (req.headers['idempotency-key'] as string | undefined) : undefined;
    const fingerprint = createHash('sha256').update(`${req.method} ${req.url} ${JSON.stringify(params)}`).digest('hex');
    if (key) {
      const seen = this.idempotent.get(key);
      if (seen && seen.fingerprint !== fingerprint) {
        return send(res, {
          status: 400,
          body: {
            error: {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            },
          },
        });
      }
      if (seen) return send(res, seen.answer, { 'Idempotent-Replayed': 'true' });
    }
    const fault = this.takeFault(operation);
    if (fault?.mode === 'error') {
      return send(res, { status: fault.status ?? 500, body: { error: { type: 'api_error', message: 'Sandbox fault injection' } } });
    }
    if (fault?.mode === 'timeout') return hang(res, fault.delay_ms);

    let answer: Answer;
    try {
      answer = { status: 200, body: structuredClone(perform()) };
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      answer = { status: error.status, body: { error: error.body } };
    }
    if (key) this.idempotent.set(key, { fingerprint, answer });
    if (fault?.mode === 'commit_then_timeout') return hang(res, fault.delay_ms);
    send(res, answer);
  }

  private takeFault(operation: SandboxOperation): Fault | undefined {
    const index = this.faults.findIndex((fault) => fault.operation === operation || fault.operation === 'any');
    if (index < 0) return undefined;
    const fault = this.faults[index];
    if (fault.count !== undefined && --fault.count <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private find(id: string): SandboxPaymentIntent {
    const intent = this.intents.get(id);
    if (!intent) {
      throw new StripeApiError(404, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'intent',
        message: `No such payment_intent: '${id}'`,
      });
    }
    return intent;
  }

  private cancel(id: string, params: Record<string, unknown>): SandboxPaymentIntent {
    const intent = this.find(id);
    if (!CANCELABLE.includes(intent.status)) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        code: 'payment_intent_unexpected_state',
        message: `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        payment_intent: structuredClone(intent),
      });
    }
    intent.status = 'canceled';
    intent.canceled_at = unixNow();
    intent.cancellation_reason = typeof params.cancellation_reason === 'string' ? params.cancellation_reason : null;
    const event = this.record('payment_intent.canceled', intent);
    void this.deliver(event.id);
    return intent;
  }

  private async simulation(method: string, path: string, raw: string, url: URL): Promise<Answer> {
    const action = /^\/sandbox\/payment_intents\/([^/]+)\/(succeed|fail|process)$/.exec(path);
    if (method === 'POST' && action) {
      const options = { ...parseLoose(raw), deliver: url.searchParams.get('deliver') !== 'false' };
      try {
        const [, id, verb] = action;
        const result = verb === 'succeed' ? await this.succeed(id, options) : verb === 'fail' ? await this.fail(id, options) : await this.process(id, options);
        return { status: 200, body: result };
      } catch (error) {
        return { status: 400, body: { error: { type: 'invalid_request_error', message: (error as Error).message } } };
      }
    }
    if (method === 'GET' && path === '/sandbox/events') return { status: 200, body: { data: this.events() } };
    const redeliver = /^\/sandbox\/events\/([^/]+)\/deliver$/.exec(path);
    if (method === 'POST' && redeliver) return { status: 200, body: { status_code: await this.deliver(redeliver[1]) } };
    if (method === 'POST' && path === '/sandbox/faults') {
      this.injectFault(parseLoose(raw) as unknown as Fault);
      return { status: 200, body: { faults: this.faults } };
    }
    if (method === 'POST' && path === '/sandbox/idempotency-keys/forget') {
      this.forgetIdempotencyKeys();
      return { status: 200, body: { forgotten: true } };
    }
    if (method === 'DELETE' && path === '/sandbox/faults') {
      this.clearFaults();
      return { status: 200, body: { faults: [] } };
    }
    return { status: 404, body: { error: { type: 'invalid_request_error', message: `No sandbox route ${method} ${path}` } } };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
  });
}

/** JSON or form body, whichever the caller sent. */
function parseLoose(raw: string): Record<string, unknown> {
  if (!raw) return {};
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return qs.parse(raw) as Record<string, unknown>;
  }
}

function send(res: ServerResponse, answer: Answer, headers: Record<string, string> = {}): void {
  res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Request-Id': `req_${Date.now()}`, ...headers });
  res.end(JSON.stringify(answer.body));
}

/** A server that never answers: the socket is cut after `delayMs` (or by `stop()`). */
function hang(res: ServerResponse, delayMs = 30_000): void {
  setTimeout(() => res.socket?.destroy(), delayMs).unref();
}
