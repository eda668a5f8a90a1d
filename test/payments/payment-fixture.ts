import Stripe from 'stripe';
import request from 'supertest';
import { retryLostRaces } from '@app/core';
import { OutboxDrainer, OutboxEvent } from '@app/outbox';
import { BOOK_WITH_SUPPLIER } from '@app/payments';
import { Reservation, ReservationStatus, ReservationStatusHistory } from '@app/reservations';
import { StripeSandbox } from '@app/sandbox';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { DatabaseKind } from '../support/test-database';
import { waitForProgress } from '../support/wait-for-progress';

export const PAID_OR_LATER = [ReservationStatus.PAID, ReservationStatus.CONFIRMED_INTERNAL, ReservationStatus.SUPPLIER_CONFIRMED];

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
  /**
   * The payment took, once: PAID exactly once in the history, the payment shown as succeeded,
   * one BOOK_WITH_SUPPLIER; the status is PAID or what supplier booking made of it since
   * (it starts at once, here against an unreachable supplier).
   */
  expectPaidOnce(code: string): Promise<void>;
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
    expectPaidOnce: async (code) => {
      const reservation = await t.dataSource.getRepository(Reservation).findOneByOrFail({ code });
      expect(PAID_OR_LATER).toContain(reservation.status);
      expect(reservation.progress.payment).toBe('succeeded');
      const history = t.dataSource.getRepository(ReservationStatusHistory);
      expect(await history.countBy({ reservationId: reservation.id, toStatus: ReservationStatus.PAID })).toBe(1);
      expect(await events().countBy({ type: BOOK_WITH_SUPPLIER, aggregateId: code })).toBe(1);
    },
    drainNow: async () => {
      // The drainer runs beside this update (a booking started by a webhook): on MySQL the two can
      // deadlock, and the loser is run again, as the product runs its own statements.
      await retryLostRaces.execute(() =>
        events()
          .createQueryBuilder()
          .update()
          .set({ nextAttemptAt: new Date(Date.now() - 1000) })
          .where("status = 'PENDING' AND next_attempt_at IS NOT NULL")
          .execute(),
      );
      // The drainer may be busy with events the test started (a booking run): wait for every
      // due or running event, not only for the batch this call claims; fail only on a stall.
      await waitForProgress({
        progress: async () => ({
          busy: await events()
            .createQueryBuilder('e')
            .where("e.status = 'PROCESSING' OR (e.status = 'PENDING' AND e.next_attempt_at <= :now)", { now: new Date() })
            .getCount(),
          // Every claim counts an attempt: work is going on even while `busy` stays put.
          attempts: Number((await events().createQueryBuilder('e').select('COALESCE(SUM(e.attempts), 0)', 'n').getRawOne<{ n: string }>())?.n),
        }),
        done: ({ busy }) => busy === 0,
        tick: async () => {
          await t.app.get(OutboxDrainer).drain();
        },
        pollMs: 25,
      });
    },
    close: async () => {
      await t.close();
      await sandbox.stop();
    },
  };
}
