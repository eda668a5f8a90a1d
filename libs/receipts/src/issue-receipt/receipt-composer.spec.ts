import { Reservation, ReservationStatus } from '@app/reservations';
import { SupplierStatus } from '../receipt.entity';
import { aPaidReservation, aReceiptComposer } from '../testing';
import { releaseReasonOf } from './receipt-composer';

const AT = new Date('2026-11-22T11:00:00.000Z');
const RETRY_AT = new Date('2026-11-22T11:05:00.000Z');
const LATER = new Date('2026-11-22T11:06:00.000Z');

/** Held through a supplier outage (CONFIRMED_INTERNAL, its "held" receipt issued). */
function heldThroughAnOutage(): Reservation {
  const reservation = aPaidReservation({ hold: true });
  reservation.deferSupplierBooking('timeout', RETRY_AT, 'HERTZ unavailable');
  return reservation;
}

async function compose(reservation: Reservation, status: SupplierStatus) {
  const composeReceipt = await aReceiptComposer().prepare();
  return composeReceipt(reservation, { number: 'R-2026-000001', version: 1, issuedAt: AT, status });
}

describe('ReceiptComposer', () => {
  it('says "charged" for a reservation paid at once, pending with the supplier or confirmed', async () => {
    const reservation = aPaidReservation();
    reservation.deferSupplierBooking('timeout', RETRY_AT, 'HERTZ unavailable');
    expect(await compose(reservation, 'pending')).toMatchObject({
      payment_status: 'charged',
      supplier_note: expect.stringMatching(/^Pending/),
    });

    reservation.confirmWithSupplier('HZ-1', 'HERTZ confirmed');
    expect(await compose(reservation, 'confirmed')).toMatchObject({
      payment_status: 'charged',
      supplier_confirmation: 'HZ-1',
      supplier_note: null,
    });
  });

  it('says "held" while the money is only held on the card, and "charged" once it is captured', async () => {
    const reservation = aPaidReservation({ hold: true });
    reservation.deferSupplierBooking('timeout', RETRY_AT, 'HERTZ unavailable');
    expect(await compose(reservation, 'pending')).toMatchObject({
      payment_status: 'held',
      supplier_status: 'pending',
    });

    // Booked, capture under way: still only held.
    reservation.confirmHeldBooking('HZ-1', 'HERTZ confirmed', AT);
    expect((await compose(reservation, 'pending')).payment_status).toBe('held');

    reservation.recordCapture(AT, 'payment captured');
    expect(await compose(reservation, 'confirmed')).toMatchObject({
      payment_status: 'charged',
      supplier_confirmation: 'HZ-1',
    });
  });

  it('says "not_charged" once the hold is released, and that the supplier could not book the car', async () => {
    const reservation = aPaidReservation({ hold: true });
    reservation.deferSupplierBooking('timeout', RETRY_AT, 'HERTZ unavailable');
    reservation.rejectBySupplier('HERTZ rejected: NO_CARS', 'HERTZ rejected the booking (NO_CARS)', AT);

    const receipt = await compose(reservation, 'released');
    expect(receipt).toMatchObject({
      payment_status: 'not_charged',
      supplier_status: 'released',
      supplier_confirmation: null,
    });
    expect(receipt.supplier_note).toBe(
      'The supplier could not book this car: nothing was charged, and the hold on your card was released.',
    );
  });

  describe('says why a hold was released', () => {
    const SUPPLIER_REFUSED = 'The supplier could not book this car: nothing was charged, and the hold on your card was released.';

    it('the deadline policy released it: the supplier did not confirm in time, whether or not the intent is cancelled since', async () => {
      const reservation = heldThroughAnOutage();
      reservation.releaseHold('hold deadline near: released (PAYMENT_CAPTURE_DEADLINE_POLICY=release)', AT);
      expect(releaseReasonOf(reservation)).toBe('not_confirmed_in_time');
      const note = 'The supplier did not confirm the booking in time, so the hold on your card was released: nothing was charged.';
      expect(await compose(reservation, 'released')).toMatchObject({ payment_status: 'not_charged', supplier_note: note });

      // RELEASE_HOLD then cancels the intent: still our release, not the bank's.
      expect(reservation.recordHoldCancelled(true, LATER)).toBe(true);
      expect((await compose(reservation, 'released')).supplier_note).toBe(note);
    });

    it('the bank let the hold expire (or it was cancelled at Stripe) before the supplier confirmed: the hold ended', async () => {
      const reservation = heldThroughAnOutage();
      expect(reservation.applyPaymentOutcome({ kind: 'canceled' }, 'payment_intent.canceled', AT)).toBe(true);
      expect(reservation.status).toBe(ReservationStatus.RELEASED);
      expect(releaseReasonOf(reservation)).toBe('hold_ended');
      const receipt = await compose(reservation, 'released');
      expect(receipt).toMatchObject({ payment_status: 'not_charged', supplier_status: 'released' });
      expect(receipt.supplier_note).toBe('The hold on your card ended before the supplier confirmed the booking: nothing was charged.');
    });

    it('a capture refused before the booking (the hold gone at Stripe, its webhook not yet in): not confirmed in time', async () => {
      const reservation = heldThroughAnOutage();
      expect(reservation.requestCaptureBeforeDeadline(AT)).toBe(true);
      reservation.refuseCapture('the PaymentIntent is canceled', LATER);
      expect(reservation.status).toBe(ReservationStatus.RELEASED);
      expect(releaseReasonOf(reservation)).toBe('not_confirmed_in_time');
      expect((await compose(reservation, 'released')).supplier_note).not.toBe(SUPPLIER_REFUSED);
    });

    it('only a refusal by the supplier says the supplier could not book the car', async () => {
      const reservation = heldThroughAnOutage();
      reservation.rejectBySupplier('HERTZ rejected: NO_CARS', 'HERTZ rejected the booking (NO_CARS)', AT);
      // Its RELEASE_HOLD cancels the intent afterwards; the reason stays the supplier's.
      reservation.recordHoldCancelled(true, LATER);
      expect(releaseReasonOf(reservation)).toBe('supplier_refused');
      expect((await compose(reservation, 'released')).supplier_note).toBe(SUPPLIER_REFUSED);
    });
  });
});
