import { request as httpRequest } from 'node:http';
import { SandboxEvent, signStripePayload } from './stripe-objects';

/**
 * Posts events to the product's webhook endpoint as Stripe does: the same headers, and a
 * `Stripe-Signature` made with the endpoint's secret, so that the product verifies them with the
 * official SDK exactly as in production. A delivery never throws: an endpoint that is down or
 * too slow (5 s) is only logged, as Stripe would only retry later.
 */
export class WebhookSender {
  constructor(
    private readonly secret: string,
    private url?: string,
    private readonly logger?: { warn(m: string): void },
  ) {}

  /** The endpoint may listen on a port known only once it is up, after the sandbox (tests). */
  setUrl(url: string): void {
    this.url = url;
  }

  /** The endpoint's status code, or null if there is no endpoint or nobody answered. */
  async send(event: SandboxEvent): Promise<number | null> {
    if (!this.url) return null;
    const payload = JSON.stringify(event, null, 2);
    const url = new URL(this.url);
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
            'Stripe-Signature': signStripePayload(payload, this.secret),
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
        this.logger?.warn(`webhook ${event.type} not delivered: ${error.message}`);
        resolve(null);
      });
      req.end(payload);
    });
  }
}
