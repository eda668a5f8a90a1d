import request from 'supertest';
import { ExpireUnpaidReservationsJob, ReconcilePaymentsJob } from '@app/payments';
import { Reservation } from '@app/reservations';
import { StripeWebhookEvent } from '@app/stripe-webhook';
import { DATABASE_KINDS } from '../support/test-database';
import { PaymentFixture, startPaymentFixture } from './payment-fixture';

describe.each(DATABASE_KINDS)('payments and the Stripe webhook on %s', (kind) => {
  let f: PaymentFixture;

  beforeAll(async () => {
    f = await startPaymentFixture(kind);
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(async () => {
    f.sandbox.clearFaults();
  });

  const backdate = (code: string, minutes: number) =>
    f.t.dataSource
      .getRepository(Reservation)
      .update({ code }, { createdAt: new Date(Date.now() - minutes * 60_000), updatedAt: new Date(Date.now() - minutes * 60_000) });

  it('create → pay → webhook → PAID: one PaymentIntent with the reservation, one BOOK_WITH_SUPPLIER', async () => {
    const created = await f.reserve();
    expect(created.status).toBe('PAYMENT_IN_PROGRESS');
    expect(created.payment!.payment_intent_id).toMatch(/^pi_/);
    expect(created.payment!.client_secret).toContain('_secret_');
    const intent = f.sandbox.paymentIntent(created.payment!.payment_intent_id)!;
    expect(intent).toMatchObject({ amount: 18950, currency: 'eur', metadata: { reservation_code: created.reservation_code } });

    const paid = await f.sandbox.succeed(intent.id);
    expect(paid.delivery?.status_code).toBe(200);
    await f.expectPaidOnce(created.reservation_code);
  });

  it('refuses a tampered body, a wrong secret and a stale timestamp with 400, changing nothing', async () => {
    const created = await f.reserve();
    await f.sandbox.succeed(created.payment!.payment_intent_id, { deliver: false });
    const event = f.sandbox.events().at(-1)!;
    const payload = JSON.stringify(event);
    expect(payload).toContain('"amount_received":18950');
    const tampered = payload.replace('"amount_received":18950', '"amount_received":1');
    const stripe = new (await import('stripe')).default('sk_test_x');
    const goodHeader = stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_tests_secret' });

    const attempts = [
      request(f.base).post('/api/v1/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', goodHeader).send(tampered),
      f.postEvent(payload, { secret: 'whsec_someone_else' }),
      f.postEvent(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
      request(f.base).post('/api/v1/webhooks/stripe').set('Content-Type', 'application/json').send(payload),
    ];
    for (const attempt of attempts) {
      const response = await attempt.expect(400);
      expect(response.body.code).toBe('WEBHOOK.SIGNATURE_INVALID');
    }
    expect((await f.lookup(created.reservation_code)).status).toBe('PAYMENT_IN_PROGRESS');
    expect(await f.t.dataSource.getRepository(StripeWebhookEvent).countBy({ eventId: event.id })).toBe(0);
  });

  it('acknowledges and ignores other event types and intents that are not ours', async () => {
    const other = await f.postEvent(JSON.stringify({ id: 'evt_other_1', object: 'event', type: 'customer.created', data: { object: { id: 'cus_1' } } })).expect(200);
    expect(other.body.outcome).toBe('ignored_type');
    const foreign = await f.postEvent(
      JSON.stringify({ id: 'evt_foreign_1', object: 'event', type: 'payment_intent.succeeded', data: { object: { id: 'pi_x', object: 'payment_intent', metadata: {} } } }),
    ).expect(200);
    expect(foreign.body.outcome).toBe('not_ours');
    const unknown = await f.postEvent(
      JSON.stringify({ id: 'evt_unknown_1', object: 'event', type: 'payment_intent.succeeded', data: { object: { id: 'pi_y', object: 'payment_intent', metadata: { reservation_code: 'ZZZZZZZZ' } } } }),
    ).expect(200);
    expect(unknown.body.outcome).toBe('unknown_reservation');
  });

  it('Stripe answering 500 at creation: still 202 (payment null), then the outbox creates exactly one PaymentIntent', async () => {
    const before = f.sandbox.paymentIntents().length;
    f.sandbox.injectFault({ operation: 'create_payment_intent', mode: 'error', count: 1 });
    const created = await f.reserve();
    expect(created.payment).toBeNull();
    expect(created.status).toBe('CREATED');
    await f.drainNow();
    const later = await f.lookup(created.reservation_code);
    expect(later.status).toBe('PAYMENT_IN_PROGRESS');
    expect(later.payment!.payment_intent_id).toMatch(/^pi_/);
    expect(f.sandbox.paymentIntents().length).toBe(before + 1);
  });

  it('Stripe down longer than the outbox kept trying: the reconciliation creates the PaymentIntent later', async () => {
    const before = f.sandbox.paymentIntents().length;
    f.sandbox.injectFault({ operation: 'create_payment_intent', mode: 'error', count: 1000 });
    const created = await f.reserve();
    const code = created.reservation_code as string;
    expect(created.payment).toBeNull();
    // The outbox tries while Stripe is still down, and fails.
    await f.drainNow();
    const [tried] = await f.t.dataSource.query("SELECT status, attempts FROM outbox_events WHERE type = 'CREATE_PAYMENT_INTENT' AND aggregate_id = ?", [code]);
    expect(tried.status).toBe('PENDING');
    expect(Number(tried.attempts)).toBeGreaterThanOrEqual(1);
    // Then it gives up (attempts exhausted), and Stripe comes back: nothing would create the intent any more.
    await f.t.dataSource.query("UPDATE outbox_events SET status = 'DEAD', next_attempt_at = NULL WHERE type = 'CREATE_PAYMENT_INTENT' AND aggregate_id = ?", [code]);
    f.sandbox.clearFaults();
    expect((await f.lookup(code)).status).toBe('CREATED');

    await backdate(code, 11);
    expect(await f.t.app.get(ReconcilePaymentsJob).run()).toBeGreaterThanOrEqual(1);
    const later = await f.lookup(code);
    expect(later.status).toBe('PAYMENT_IN_PROGRESS');
    expect(later.payment!.payment_intent_id).toMatch(/^pi_/);
    expect(f.sandbox.paymentIntents().length).toBe(before + 1);
    // Running it again changes nothing.
    await f.t.app.get(ReconcilePaymentsJob).run();
    expect(f.sandbox.paymentIntents().length).toBe(before + 1);
  });

  it('Stripe timing out after creating the intent: still 202, and the retry finds that same intent', async () => {
    const before = f.sandbox.paymentIntents().length;
    f.sandbox.injectFault({ operation: 'create_payment_intent', mode: 'commit_then_timeout', count: 1, delay_ms: 5000 });
    const created = await f.reserve();
    expect(created.payment).toBeNull();
    expect(f.sandbox.paymentIntents().length).toBe(before + 1);
    await f.drainNow();
    const later = await f.lookup(created.reservation_code);
    expect(later.payment!.payment_intent_id).toBe(f.sandbox.paymentIntents().at(-1)!.id);
    expect(f.sandbox.paymentIntents().length).toBe(before + 1);
  });

  it('a success whose webhook never arrives is found by the reconciliation', async () => {
    const created = await f.reserve();
    await f.sandbox.succeed(created.payment!.payment_intent_id, { deliver: false });
    await backdate(created.reservation_code, 11);
    expect(await f.t.app.get(ReconcilePaymentsJob).run()).toBeGreaterThanOrEqual(1);
    await f.expectPaidOnce(created.reservation_code);
  });

  it('expires an unpaid reservation after the TTL and cancels its intent; a late success still wins', async () => {
    const created = await f.reserve();
    await backdate(created.reservation_code, 31);
    expect(await f.t.app.get(ExpireUnpaidReservationsJob).run()).toBeGreaterThanOrEqual(1);
    expect((await f.lookup(created.reservation_code)).status).toBe('EXPIRED');
    expect(await f.outboxCount('CANCEL_PAYMENT_INTENT', created.reservation_code)).toBe(1);
    await f.drainNow();
    expect(f.sandbox.paymentIntent(created.payment!.payment_intent_id)!.status).toBe('canceled');

    const late = await f.reserve();
    await backdate(late.reservation_code, 31);
    await f.t.app.get(ExpireUnpaidReservationsJob).run();
    await f.sandbox.succeed(late.payment!.payment_intent_id);
    await f.expectPaidOnce(late.reservation_code);
  });

  it('cancelling an intent that had already succeeded is that success, not an error', async () => {
    const created = await f.reserve();
    await f.sandbox.succeed(created.payment!.payment_intent_id, { deliver: false });
    await backdate(created.reservation_code, 31);
    await f.t.app.get(ExpireUnpaidReservationsJob).run();
    expect((await f.lookup(created.reservation_code)).status).toBe('EXPIRED');
    await f.drainNow();
    await f.expectPaidOnce(created.reservation_code);
  });
});
