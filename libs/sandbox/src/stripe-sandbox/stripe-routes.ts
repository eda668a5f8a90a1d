import { createHash } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import * as qs from 'qs';
import { hang, readBody } from '../http-server';
import { Fault, SandboxOperation } from './stripe-faults';
import { SandboxEvent, StripeApiError } from './stripe-objects';
import { Answer, IntentChange, SandboxRequest, StripeStore } from './stripe-store';

/**
 * What the `/sandbox/` routes drive besides the store: the customer's card, the bank, the
 * Dashboard and webhook delivery, which `StripeSandbox` owns (an action delivers its events
 * unless told not to).
 */
export interface SandboxActions {
  succeed(id: string, options: { deliver?: boolean; capture_before?: number }): Promise<unknown>;
  fail(id: string, options: { deliver?: boolean; message?: string; decline_code?: string }): Promise<unknown>;
  process(id: string, options: { deliver?: boolean }): Promise<unknown>;
  expireAuthorization(id: string, options: { deliver?: boolean }): Promise<unknown>;
  refundInDashboard(
    paymentIntentId: string,
    options: { amount?: number; deliver?: boolean },
  ): Promise<unknown>;
  openDispute(
    paymentIntentId: string,
    options: { reason?: string; amount?: number; deliver?: boolean },
  ): Promise<unknown>;
  closeDispute(disputeId: string, options: { status: 'won' | 'lost'; deliver?: boolean }): Promise<unknown>;
  deliver(eventId: string): Promise<number | null>;
  deliverInOrder(events: SandboxEvent[]): Promise<unknown>;
}

/**
 * A simulation route's options: the body's fields, JSON or form (so numbers may come as text:
 * the store converts and validates them), and `?deliver=false`.
 */
type SimulationOptions = Record<string, unknown> & { deliver: boolean };

/**
 * The sandbox's HTTP face. `/v1/...` is the subset of Stripe's API the product uses, as the
 * official SDK expects it: form-encoded parameters, a secret key, Stripe-shaped objects and
 * errors, Idempotency-Key, with the injected faults applied. `/sandbox/...` is for whoever plays
 * the customer, the bank, the Dashboard or the chaos: pay, fail, process, expire a hold, refund,
 * dispute, redeliver, inject faults, forget keys (JSON or form bodies).
 */
export class StripeRoutes {
  constructor(
    private readonly store: StripeStore,
    private readonly actions: SandboxActions,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname;
    try {
      if (path.startsWith('/sandbox/')) {
        return send(res, await this.simulation(req.method ?? 'GET', path, raw, url));
      }
      if (!/^Bearer sk_\S+/.test(req.headers.authorization ?? '')) {
        return send(res, stripeError(401, 'invalid_request_error', 'Invalid API Key provided'));
      }
      const params = qs.parse(raw) as Record<string, unknown>;
      const intentPath = /^\/v1\/payment_intents\/([^/]+)(?:\/(cancel|capture))?$/.exec(path);
      const chargePath = /^\/v1\/charges\/([^/]+)$/.exec(path);
      if (req.method === 'POST' && path === '/v1/payment_intents') {
        return await this.api(req, res, 'create_payment_intent', params, () =>
          this.store.createPaymentIntent(params),
        );
      }
      if (req.method === 'GET' && intentPath && !intentPath[2]) {
        this.store.countRetrieval(intentPath[1]);
        // The SDK sends a GET's parameters (`expand[0]=latest_charge`) in the query string.
        const { expand } = qs.parse(url.search.slice(1));
        return await this.api(req, res, 'retrieve_payment_intent', params, () =>
          this.store.retrieve(intentPath[1], expand),
        );
      }
      if (req.method === 'GET' && chargePath) {
        return await this.api(req, res, 'retrieve_charge', params, () =>
          this.store.charges.find(chargePath[1]),
        );
      }
      if (req.method === 'POST' && path === '/v1/refunds') {
        return await this.api(req, res, 'create_refund', params, () => {
          // Answered at once; its charge.refunded follows, as Stripe's does.
          const { refund, event } = this.store.refund(params);
          void this.actions.deliverInOrder([event]);
          return refund;
        });
      }
      if (req.method === 'GET' && path === '/v1/refunds') {
        const intent = url.searchParams.get('payment_intent');
        return await this.api(req, res, 'list_refunds', params, () => ({
          object: 'list',
          url: '/v1/refunds',
          has_more: false,
          data: this.store.charges
            .refunds()
            .filter((refund) => !intent || refund.payment_intent === intent)
            .reverse(),
        }));
      }
      if (req.method === 'POST' && intentPath?.[2] === 'cancel') {
        return await this.api(req, res, 'cancel_payment_intent', params, () =>
          this.answerThenDeliver(this.store.cancel(intentPath[1], params)),
        );
      }
      if (req.method === 'POST' && intentPath?.[2] === 'capture') {
        return await this.api(req, res, 'capture_payment_intent', params, () =>
          this.answerThenDeliver(this.store.capture(intentPath[1], params)),
        );
      }
      send(
        res,
        stripeError(404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${path})`),
      );
    } catch (error) {
      send(res, stripeError(500, 'api_error', (error as Error).message));
    }
  }

  /** The API answers with the intent at once; its webhooks follow on their own, in order, as Stripe's do. */
  private answerThenDeliver(change: IntentChange): unknown {
    void this.actions.deliverInOrder(change.events);
    return change.intent;
  }

  /**
   * Counting, faults and Idempotency-Key around one API operation, in Stripe's order: a key
   * reused with other parameters is refused and a known key replays its first answer (errors
   * included) before any fault applies; `error` and `timeout` change nothing, while
   * `commit_then_timeout` performs the operation and remembers its answer, then never sends it.
   */
  private async api(
    req: IncomingMessage,
    res: ServerResponse,
    operation: SandboxOperation,
    params: Record<string, unknown>,
    perform: () => unknown,
  ): Promise<void> {
    this.store.countCall(operation);
    const key = req.method === 'POST' ? (req.headers['idempotency-key'] as string | undefined) : undefined;
    const log = (outcome: SandboxRequest['outcome']) =>
      this.store.logRequest({ operation, path: new URL(req.url ?? '/', 'http://sandbox').pathname, idempotency_key: key ?? null, outcome });
    const fingerprint = createHash('sha256')
      .update(`${req.method} ${req.url} ${JSON.stringify(params)}`)
      .digest('hex');
    if (key) {
      const seen = this.store.idempotentAnswer(key);
      if (seen && seen.fingerprint !== fingerprint) {
        log('refused');
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
      if (seen) {
        log('replayed');
        return send(res, seen.answer, { 'Idempotent-Replayed': 'true' });
      }
    }
    const fault = this.store.faults.take(operation);
    if (fault?.mode === 'error') {
      log('faulted');
      return send(res, stripeError(fault.status ?? 500, 'api_error', 'Sandbox fault injection'));
    }
    if (fault?.mode === 'timeout') {
      log('faulted');
      return hang(res, fault.delay_ms);
    }

    let answer: Answer;
    try {
      answer = { status: 200, body: structuredClone(perform()) };
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      answer = { status: error.status, body: { error: error.body } };
    }
    log('performed');
    if (key) this.store.rememberAnswer(key, fingerprint, answer);
    if (fault?.mode === 'commit_then_timeout') return hang(res, fault.delay_ms);
    send(res, answer);
  }

  /** A refusal keeps its status and Stripe's code when the store gave one; a card's plain error is a 400. */
  private async simulation(method: string, path: string, raw: string, url: URL): Promise<Answer> {
    const body = parseLoose(raw);
    try {
      return await this.simulate(method, path, body, url.searchParams.get('deliver') !== 'false');
    } catch (error) {
      if (error instanceof StripeApiError) return { status: error.status, body: { error: error.body } };
      return stripeError(400, 'invalid_request_error', (error as Error).message);
    }
  }

  private async simulate(
    method: string,
    path: string,
    body: Record<string, unknown>,
    deliver: boolean,
  ): Promise<Answer> {
    const options: SimulationOptions = { ...body, deliver };
    const action = /^\/sandbox\/payment_intents\/([^/]+)\/(succeed|fail|process|expire_authorization)$/.exec(
      path,
    );
    if (method === 'POST' && action) return ok(await this.intentAction(action[1], action[2], options));
    if (path.startsWith('/sandbox/dashboard/')) return this.dashboard(method, path, options);
    if (method === 'GET' && path === '/sandbox/events') return ok({ data: this.store.events() });
    const redeliver = /^\/sandbox\/events\/([^/]+)\/deliver$/.exec(path);
    if (method === 'POST' && redeliver) return ok({ status_code: await this.actions.deliver(redeliver[1]) });
    if (method === 'POST' && path === '/sandbox/faults') {
      this.store.faults.add(body as unknown as Fault);
      return ok({ faults: this.store.faults.list() });
    }
    if (method === 'POST' && path === '/sandbox/idempotency-keys/forget') {
      this.store.forgetIdempotencyKeys();
      return ok({ forgotten: true });
    }
    if (method === 'DELETE' && path === '/sandbox/faults') {
      this.store.faults.clear();
      return ok({ faults: [] });
    }
    return noSandboxRoute(method, path);
  }

  /** The customer's card (succeed, fail, process) and the bank (a hold that expires). */
  private intentAction(id: string, verb: string, options: SimulationOptions): Promise<unknown> {
    switch (verb) {
      case 'succeed':
        return this.actions.succeed(id, options);
      case 'fail':
        return this.actions.fail(id, options);
      case 'process':
        return this.actions.process(id, options);
      default:
        return this.actions.expireAuthorization(id, options);
    }
  }

  /** What a support agent does in the Dashboard: refunds, and the disputes a bank opens and closes. */
  private async dashboard(method: string, path: string, options: SimulationOptions): Promise<Answer> {
    const paymentIntent = String(options.payment_intent ?? '');
    if (method === 'POST' && path === '/sandbox/dashboard/refunds') {
      return ok(await this.actions.refundInDashboard(paymentIntent, options));
    }
    if (method === 'POST' && path === '/sandbox/dashboard/disputes') {
      return ok(await this.actions.openDispute(paymentIntent, options));
    }
    const close = /^\/sandbox\/dashboard\/disputes\/([^/]+)\/close$/.exec(path);
    if (method === 'POST' && close) {
      // Whatever the body says: the store refuses a status other than won or lost.
      return ok(
        await this.actions.closeDispute(close[1], { ...options, status: options.status as 'won' | 'lost' }),
      );
    }
    return noSandboxRoute(method, path);
  }
}

const ok = (body: unknown): Answer => ({ status: 200, body });

function noSandboxRoute(method: string, path: string): Answer {
  return stripeError(404, 'invalid_request_error', `No sandbox route ${method} ${path}`);
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

/** An error as Stripe shapes it, which the SDK maps to its error classes by `type` and status. */
function stripeError(status: number, type: string, message: string): Answer {
  return { status, body: { error: { type, message } } };
}

/** Every answer is JSON with a `Request-Id`, as Stripe's are (the SDK reads it into its errors). */
function send(res: ServerResponse, answer: Answer, headers: Record<string, string> = {}): void {
  res.writeHead(answer.status, {
    'Content-Type': 'application/json',
    'Request-Id': `req_${Date.now()}`,
    ...headers,
  });
  res.end(JSON.stringify(answer.body));
}
