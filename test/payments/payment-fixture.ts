import Stripe from 'stripe';
import request from 'supertest';
import { OutboxDrainer, OutboxEvent } from '@app/outbox';
import { StripeSandbox } from '@app/sandbox/stripe-sandbox/stripe-sandbox';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { DatabaseKind } from '../support/test-database';

export const WEBHOOK_SECRET = 'whsec_tests_secret';
const signer = new Stripe('sk_test_signing_only');

/** The app on a fresh database, listening, with its own Stripe sandbox that signs webhooks to it. */
export interface PaymentFixture {
  t: TestApp;
  sandbox: StripeSandbox;
  base: string;
  /** POST /reservations; returns the 202's body. */
  reserve(): Promise<{ reservation_code: string; status: string; payment: { payment_intent_id: string; client_secret: string } | null }>;
  /** GET /reservations/{code} (the builder's e-mail). */
  lookup(code: string): Promise<{ status: string; progress: Record<string, string>; payment: Record<string, string | null> | null }>;
  /** Posts a body with a signature made as Stripe makes it. */
  postEvent(payload: string, options?: { secret?: string; timestamp?: number }): request.Test;
  outboxCount(type: string, reservationCode: string): Promise<number>;
  /** Makes every pending outbox event due now and drains. */
  drainNow(): Promise<void>;
  close(): Promise<void>;
}

export async function startPaymentFixture(kind: DatabaseKind, env: Record<string, string> = {}): Promise<PaymentFixture> {
  const sandbox = new StripeSandbox({ webhookSecret: WEBHOOK_SECRET });
  const { url } = await sandbox.start();
  const t = await startTestApp(kind, {
    env: { STRIPE_API_BASE: url, STRIPE_TIMEOUT_MS: '1500', PAYMENT_JOBS_INTERVAL_MS: '3600000', ...env },
  });
  await t.app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(t.server.address() as { port: number }).port}`;
  sandbox.setWebhookUrl(`${base}/api/v1/webhooks/stripe`);
  const events = () => t.dataSource.getRepository(OutboxEvent);

  return {
    t,
    sandbox,
    base,
    reserve: async () => (await request(base).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(aCreateBody()).expect(202)).body,
    lookup: async (code) =>
      (await request(base).get(`/api/v1/reservations/${code}`).query({ email: aCreateBody().customer.email }).expect(200)).body,
    postEvent: (payload, options = {}) =>
      request(base)
        .post('/api/v1/webhooks/stripe')
        .set('Content-Type', 'application/json')
        .set(
          'Stripe-Signature',
          signer.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? WEBHOOK_SECRET, timestamp: options.timestamp }),
        )
        .send(payload),
    outboxCount: (type, reservationCode) => events().countBy({ type, aggregateId: reservationCode }),
    drainNow: async () => {
      await events().createQueryBuilder().update().set({ nextAttemptAt: new Date(Date.now() - 1000) }).where("status = 'PENDING' AND next_attempt_at IS NOT NULL").execute();
      await t.app.get(OutboxDrainer).drain();
    },
    close: async () => {
      await t.close();
      await sandbox.stop();
    },
  };
}
