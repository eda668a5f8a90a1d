import { createServer, Server } from 'node:http';
import Stripe from 'stripe';
import { SANDBOX_API_VERSION } from './stripe-objects';
import { StripeSandbox } from './stripe-sandbox';

export const SPEC_WEBHOOK_SECRET = 'whsec_sandbox_spec';

/**
 * The sandbox's specs' setup: the sandbox started over real HTTP, the official SDK pointed at it,
 * and a webhook endpoint that records what it is sent. `use()` starts it once for a spec file and
 * empties it before each test.
 */
export class SandboxHarness {
  readonly sandbox = new StripeSandbox({ webhookSecret: SPEC_WEBHOOK_SECRET });
  /** What the webhook endpoint received, in order: the raw body and its `Stripe-Signature`. */
  readonly received: { body: string; signature: string }[] = [];
  stripe!: Stripe;
  url = '';
  private port = 0;
  private receiver?: Server;

  static use(): SandboxHarness {
    const harness = new SandboxHarness();
    beforeAll(() => harness.start());
    afterAll(() => harness.stop());
    beforeEach(() => harness.clear());
    return harness;
  }

  /** An SDK client on the sandbox: another key (a wrong one), or a short timeout for a fault. */
  client = (key = 'sk_test_spec', timeout?: number): Stripe =>
    new Stripe(key, {
      host: '127.0.0.1',
      port: this.port,
      protocol: 'http',
      apiVersion: SANDBOX_API_VERSION as Stripe.LatestApiVersion,
      maxNetworkRetries: 0,
      telemetry: false,
      ...(timeout ? { timeout } : {}),
    });

  /** A `/sandbox/...` route, with a JSON body or a form body (both are accepted, as a developer may send either). */
  async post(path: string, body: Record<string, unknown> = {}, as: 'json' | 'form' = 'json') {
    const form = new URLSearchParams(
      Object.entries(body).map(([name, value]): [string, string] => [name, String(value)]),
    );
    const res = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': as === 'json' ? 'application/json' : 'application/x-www-form-urlencoded' },
      body: as === 'json' ? JSON.stringify(body) : form.toString(),
    });
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown> & { error?: { code?: string } },
    };
  }

  /**
   * The webhooks received so far, each verified with the endpoint's secret as the product
   * verifies them. An API operation answers before its webhooks arrive: this waits for them.
   */
  async deliveries(): Promise<Stripe.Event[]> {
    await this.sandbox.webhooksDelivered();
    return this.received.map(({ body, signature }) =>
      this.stripe.webhooks.constructEvent(body, signature, SPEC_WEBHOOK_SECRET, 300),
    );
  }

  private async start(): Promise<void> {
    ({ port: this.port, url: this.url } = await this.sandbox.start());
    this.stripe = this.client();
    this.receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        this.received.push({ body, signature: String(req.headers['stripe-signature']) });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.receiver!.listen(0, '127.0.0.1', resolve));
    this.sandbox.setWebhookUrl(`http://127.0.0.1:${(this.receiver.address() as { port: number }).port}/hook`);
  }

  private async stop(): Promise<void> {
    await this.sandbox.stop();
    await new Promise((resolve) => this.receiver?.close(resolve));
  }

  private async clear(): Promise<void> {
    await this.sandbox.webhooksDelivered();
    this.sandbox.reset();
    this.received.length = 0;
  }
}
