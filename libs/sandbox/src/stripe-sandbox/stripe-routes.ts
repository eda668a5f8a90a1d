import { createHash } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import * as qs from 'qs';
import { hang, readBody } from '../http-server';
import { Fault, SandboxOperation } from './stripe-faults';
import { StripeApiError } from './stripe-objects';
import { Answer, StripeStore } from './stripe-store';

/**
 * What the `/sandbox/` routes drive besides the store: the customer's card and webhook
 * delivery, which `StripeSandbox` owns (an action delivers its event unless told not to).
 */
export interface SandboxActions {
  succeed(id: string, options: { deliver?: boolean }): Promise<unknown>;
  fail(id: string, options: { deliver?: boolean; message?: string; decline_code?: string }): Promise<unknown>;
  process(id: string, options: { deliver?: boolean }): Promise<unknown>;
  deliver(eventId: string): Promise<number | null>;
}

/**
 * The sandbox's HTTP face. `/v1/...` is the subset of Stripe's API the product uses, as the
 * official SDK expects it: form-encoded parameters, a secret key, Stripe-shaped objects and
 * errors, Idempotency-Key, with the injected faults applied. `/sandbox/...` is for whoever plays
 * the customer or the chaos: pay, fail, process, redeliver, inject faults, forget keys (JSON or
 * form bodies).
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
      if (path.startsWith('/sandbox/')) return send(res, await this.simulation(req.method ?? 'GET', path, raw, url));
      if (!/^Bearer sk_\S+/.test(req.headers.authorization ?? '')) {
        return send(res, stripeError(401, 'invalid_request_error', 'Invalid API Key provided'));
      }
      const params = qs.parse(raw) as Record<string, unknown>;
      const intentPath = /^\/v1\/payment_intents\/([^/]+)(\/cancel)?$/.exec(path);
      if (req.method === 'POST' && path === '/v1/payment_intents') {
        return await this.api(req, res, 'create_payment_intent', params, () => this.store.createPaymentIntent(params));
      }
      if (req.method === 'GET' && intentPath && !intentPath[2]) {
        this.store.countRetrieval(intentPath[1]);
        return await this.api(req, res, 'retrieve_payment_intent', params, () => this.store.find(intentPath[1]));
      }
      if (req.method === 'POST' && path === '/v1/refunds') {
        return await this.api(req, res, 'create_refund', params, () => this.store.createRefund(params));
      }
      if (req.method === 'GET' && path === '/v1/refunds') {
        const intent = url.searchParams.get('payment_intent');
        return await this.api(req, res, 'list_refunds', params, () => ({
          object: 'list',
          url: '/v1/refunds',
          has_more: false,
          data: this.store.refunds().filter((refund) => !intent || refund.payment_intent === intent).reverse(),
        }));
      }
      if (req.method === 'POST' && intentPath?.[2]) {
        return await this.api(req, res, 'cancel_payment_intent', params, () => {
          const { intent, event } = this.store.cancel(intentPath[1], params);
          void this.actions.deliver(event.id);
          return intent;
        });
      }
      send(res, stripeError(404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${path})`));
    } catch (error) {
      send(res, stripeError(500, 'api_error', (error as Error).message));
    }
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
    const fingerprint = createHash('sha256').update(`${req.method} ${req.url} ${JSON.stringify(params)}`).digest('hex');
    if (key) {
      const seen = this.store.idempotentAnswer(key);
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
    const fault = this.store.faults.take(operation);
    if (fault?.mode === 'error') {
      return send(res, stripeError(fault.status ?? 500, 'api_error', 'Sandbox fault injection'));
    }
    if (fault?.mode === 'timeout') return hang(res, fault.delay_ms);

    let answer: Answer;
    try {
      answer = { status: 200, body: structuredClone(perform()) };
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      answer = { status: error.status, body: { error: error.body } };
    }
    if (key) this.store.rememberAnswer(key, fingerprint, answer);
    if (fault?.mode === 'commit_then_timeout') return hang(res, fault.delay_ms);
    send(res, answer);
  }

  private async simulation(method: string, path: string, raw: string, url: URL): Promise<Answer> {
    const action = /^\/sandbox\/payment_intents\/([^/]+)\/(succeed|fail|process)$/.exec(path);
    if (method === 'POST' && action) {
      const options = { ...parseLoose(raw), deliver: url.searchParams.get('deliver') !== 'false' };
      try {
        const [, id, verb] = action;
        const result =
          verb === 'succeed'
            ? await this.actions.succeed(id, options)
            : verb === 'fail'
              ? await this.actions.fail(id, options)
              : await this.actions.process(id, options);
        return { status: 200, body: result };
      } catch (error) {
        return stripeError(400, 'invalid_request_error', (error as Error).message);
      }
    }
    if (method === 'GET' && path === '/sandbox/events') return { status: 200, body: { data: this.store.events() } };
    const redeliver = /^\/sandbox\/events\/([^/]+)\/deliver$/.exec(path);
    if (method === 'POST' && redeliver) {
      return { status: 200, body: { status_code: await this.actions.deliver(redeliver[1]) } };
    }
    if (method === 'POST' && path === '/sandbox/faults') {
      this.store.faults.add(parseLoose(raw) as unknown as Fault);
      return { status: 200, body: { faults: this.store.faults.list() } };
    }
    if (method === 'POST' && path === '/sandbox/idempotency-keys/forget') {
      this.store.forgetIdempotencyKeys();
      return { status: 200, body: { forgotten: true } };
    }
    if (method === 'DELETE' && path === '/sandbox/faults') {
      this.store.faults.clear();
      return { status: 200, body: { faults: [] } };
    }
    return stripeError(404, 'invalid_request_error', `No sandbox route ${method} ${path}`);
  }
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
  res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Request-Id': `req_${Date.now()}`, ...headers });
  res.end(JSON.stringify(answer.body));
}
