import { BOOK_WITH_SUPPLIER } from '@app/payments';
import { ReservationStatus } from '@app/reservations';
import { StripeWebhookEvent } from '@app/stripe-webhook';
import { aReservation } from '../support/builders';
import { DATABASE_KINDS } from '../support/test-database';
import { useIntegrationApp } from './support/integration-app';

const MINUTE = 60_000;
const PAID_OR_LATER = [ReservationStatus.PAID, ReservationStatus.CONFIRMED_INTERNAL, ReservationStatus.SUPPLIER_CONFIRMED];

/**
 * The Stripe webhook's rules on the real database, Stripe faked: each event has one effect
 * however often and in whatever order it comes, the payment is never lost to the expiry, and
 * what is not ours is acknowledged and left alone. Over HTTP with the Stripe sandbox:
 * test/payments/.
 */
describe.each(DATABASE_KINDS)('the Stripe webhook on %s (integration)', (kind) => {
  const app = useIntegrationApp(kind);

  const reserve = async () => (await app().createReservation(aReservation({}, { from: app().clock.now() }))).code;
  /** PAID exactly once in the history and one booking run asked for: the payment took, once (and booking may have followed). */
  const expectPaidOnce = async (code: string) => {
    const reservation = await app().reservation(code);
    expect(PAID_OR_LATER).toContain(reservation.status);
    expect(reservation.progress.payment).toBe('succeeded');
    expect((await app().history(code)).filter((move) => move.endsWith('->PAID'))).toHaveLength(1);
    expect(await app().events(BOOK_WITH_SUPPLIER, code)).toHaveLength(1);
  };

  it('a success delivered three times is applied once; the copies are duplicates', async () => {
    const code = await reserve();
    const event = await app().pay(code);
    const outcomes = [await app().deliver(event), await app().deliver(event), await app().deliver(event)];
    expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate']);
    await expectPaidOnce(code);
    expect(await app().dataSource.getRepository(StripeWebhookEvent).countBy({ eventId: event.id })).toBe(1);
  });

  it('the same success delivered twice at once is applied once', async () => {
    const code = await reserve();
    const event = await app().pay(code);
    const outcomes = await Promise.all([app().deliver(event), app().deliver(event)]);
    expect(outcomes.sort()).toEqual(['applied', 'duplicate']);
    await expectPaidOnce(code);
  });

  it('decline, processing and success arriving in reverse order: PAID, and the older events change nothing', async () => {
    const code = await reserve();
    const declined = await app().pay(code, 'declined');
    const processing = await app().pay(code, 'processing');
    const succeeded = await app().pay(code, 'succeeded');
    for (const event of [succeeded, processing, declined]) await app().deliver(event);
    await expectPaidOnce(code);
    expect((await app().reservation(code)).paymentFailureMessage).toBeNull();
    expect(await app().dataSource.getRepository(StripeWebhookEvent).countBy({ paymentIntentId: succeeded.paymentIntentId })).toBe(3);
  });

  it('keeps the decline message of a failed payment, and a later success still wins', async () => {
    const code = await reserve();
    await app().deliver(await app().pay(code, 'declined'));
    expect(await app().reservation(code)).toMatchObject({ status: ReservationStatus.PAYMENT_FAILED, paymentFailureMessage: 'Your card was declined.' });
    await app().deliver(await app().pay(code, 'succeeded'));
    await expectPaidOnce(code);
  });

  it('acknowledges an unknown reservation, an intent that is not ours and another event type, changing nothing', async () => {
    const code = await reserve();
    const event = await app().pay(code);
    const unknown = { ...event, id: 'evt_unknown', object: { ...event.object, metadata: { reservation_code: 'ZZZZZZZZ' } } };
    const foreign = { ...event, id: 'evt_foreign', object: { ...event.object, metadata: {} } };
    const otherType = { ...event, id: 'evt_other', type: 'customer.created' as never, object: { id: 'cus_1', object: 'customer' } };
    expect(await app().deliver(unknown)).toBe('unknown_reservation');
    expect(await app().deliver(foreign)).toBe('not_ours');
    expect(await app().deliver(otherType)).toBe('ignored_type');
    expect((await app().reservation(code)).status).toBe(ReservationStatus.PAYMENT_IN_PROGRESS);
    expect(await app().events(BOOK_WITH_SUPPLIER, code)).toHaveLength(0);
  });

  it('expiry first, then the success: the late payment wins (EXPIRED → PAID) and the cancel finds it paid', async () => {
    const code = await reserve();
    app().clock.advance(31 * MINUTE);
    expect(await app().expire()).toBe(1);
    expect((await app().reservation(code)).status).toBe(ReservationStatus.EXPIRED);
    expect(await app().deliver(await app().pay(code))).toBe('applied');
    await expectPaidOnce(code);
    await app().settle();
    expect(app().payments.intentsOf(code)[0].status).toBe('succeeded');
  });

  it('the success first, then the expiry: nothing to expire', async () => {
    const code = await reserve();
    await app().deliver(await app().pay(code));
    app().clock.advance(31 * MINUTE);
    expect(await app().expire()).toBe(0);
    await expectPaidOnce(code);
  });

  it('an expiry whose cancel finds the intent succeeded (webhook not yet arrived) takes that success', async () => {
    const code = await reserve();
    const event = await app().pay(code);
    app().clock.advance(31 * MINUTE);
    await app().expire();
    await app().settle();
    await expectPaidOnce(code);
    // Stripe's webhook comes after all: already applied.
    expect(['duplicate', 'ignored', 'applied']).toContain(await app().deliver(event));
    await expectPaidOnce(code);
  });

  it('a success whose webhook never arrives is found by the reconciliation', async () => {
    const code = await reserve();
    await app().pay(code);
    app().clock.advance(11 * MINUTE);
    expect(await app().reconcile()).toBeGreaterThanOrEqual(1);
    await expectPaidOnce(code);
  });

  it.each(['unavailable', 'ambiguous'] as const)('Stripe %s at creation: CREATED, then the outbox ends with exactly one PaymentIntent', async (outcome) => {
    app().payments.script('create', outcome);
    const code = await reserve();
    expect(await app().reservation(code)).toMatchObject({ status: ReservationStatus.CREATED, paymentIntentId: null });
    app().clock.advance(MINUTE);
    await app().settle();
    const reservation = await app().reservation(code);
    expect(reservation.status).toBe(ReservationStatus.PAYMENT_IN_PROGRESS);
    expect(app().payments.intentsOf(code).map((intent) => intent.id)).toEqual([reservation.paymentIntentId]);
  });
});
