import { Reservation } from './reservation.entity';
import { IllegalTransitionError } from './reservation.errors';
import { ALLOWED_TRANSITIONS, progressOf, ReservationStatus as S } from './domain/reservation-status';
import { resolveLocalTime } from './domain/rental-period';

function aReservation(): Reservation {
  return Reservation.create(
    {
      code: 'K7M2Q9XD',
      idempotencyKey: 'key-12345678',
      supplierCode: 'HERTZ',
      pickupOfficeCode: 'MAD-T4',
      pickup: resolveLocalTime('pickup.at', '2027-03-01T10:00', 'Europe/Madrid'),
      dropoffOfficeCode: 'BCN-T1',
      dropoff: resolveLocalTime('dropoff.at', '2027-03-05T10:00', 'Europe/Madrid'),
      carCategoryCode: 'CDMR',
      customer: { firstName: 'Ana', lastName: 'Pérez', email: 'Ana@Example.com', phone: '+34600111222' },
      price: { amount: 18950, currency: 'EUR' },
    },
    new Date('2026-11-22T10:00:00Z'),
  );
}

describe('Reservation', () => {
  it('starts CREATED, version 1, with its creation in the pending history', () => {
    const reservation = aReservation();
    expect(reservation.status).toBe(S.CREATED);
    expect(reservation.lockVersion).toBe(1);
    expect(reservation.progress).toEqual({ code: 'issued', payment: 'pending', supplier: 'pending' });
    expect(reservation.takePendingChanges()).toEqual([
      { from: null, to: S.CREATED, cause: 'reservation created', actor: null },
    ]);
    expect(reservation.takePendingChanges()).toEqual([]);
  });

  it('follows the happy path of SPEC §2 and records every step', () => {
    const reservation = aReservation();
    reservation.takePendingChanges();
    reservation.transitionTo(S.PAYMENT_IN_PROGRESS, 'payment intent created');
    reservation.transitionTo(S.PAID, 'payment_intent.succeeded');
    reservation.transitionTo(S.SUPPLIER_CONFIRMED, 'supplier confirmed', 'system');
    expect(reservation.takePendingChanges().map((c) => [c.from, c.to])).toEqual([
      [S.CREATED, S.PAYMENT_IN_PROGRESS],
      [S.PAYMENT_IN_PROGRESS, S.PAID],
      [S.PAID, S.SUPPLIER_CONFIRMED],
    ]);
    expect(reservation.progress).toEqual({ code: 'issued', payment: 'succeeded', supplier: 'confirmed' });
  });

  it('never loses a success: PAID is reachable from every unpaid state, EXPIRED included', () => {
    for (const from of [S.CREATED, S.PAYMENT_IN_PROGRESS, S.PAYMENT_FAILED, S.EXPIRED]) {
      expect(ALLOWED_TRANSITIONS[from]).toContain(S.PAID);
    }
  });

  it('refuses every move the lifecycle does not list, and leaves the status alone', () => {
    const all = Object.values(S);
    for (const from of all) {
      for (const to of all) {
        if (ALLOWED_TRANSITIONS[from].includes(to)) continue;
        const reservation = aReservation();
        reservation.status = from;
        expect(() => reservation.transitionTo(to, 'test')).toThrow(IllegalTransitionError);
        expect(reservation.status).toBe(from);
      }
    }
  });

  it('has terminal states', () => {
    expect(ALLOWED_TRANSITIONS[S.SUPPLIER_CONFIRMED]).toEqual([]);
    expect(ALLOWED_TRANSITIONS[S.REFUNDED]).toEqual([]);
  });

  it('shows progress for every status', () => {
    expect(progressOf(S.PAYMENT_FAILED)).toEqual({ code: 'issued', payment: 'failed', supplier: 'pending' });
    expect(progressOf(S.CONFIRMED_INTERNAL)).toEqual({ code: 'issued', payment: 'succeeded', supplier: 'retrying' });
    expect(progressOf(S.EXPIRED)).toEqual({ code: 'issued', payment: 'failed', supplier: 'cancelled' });
    expect(progressOf(S.REFUNDED)).toEqual({ code: 'issued', payment: 'refunded', supplier: 'cancelled' });
    expect(progressOf(S.CONFIRMED_INTERNAL, { supplierRejected: true })).toEqual({ code: 'issued', payment: 'succeeded', supplier: 'rejected' });
    expect(progressOf(S.REFUNDED, { supplierRejected: true }).supplier).toBe('cancelled');
  });

  it('remembers a rejection until a later run defers or confirms', () => {
    const reservation = aReservation();
    reservation.status = S.PAID;
    const at = new Date('2026-11-22T10:05:00Z');
    reservation.rejectBySupplier('HERTZ rejected: CATEGORY_UNAVAILABLE', 'HERTZ rejected the booking', at);
    expect(reservation).toMatchObject({ status: S.CONFIRMED_INTERNAL, supplierRejectedAt: at, needsAttention: true });
    expect(reservation.progress.supplier).toBe('rejected');
    reservation.deferSupplierBooking('HTTP 503', new Date('2026-11-22T10:10:00Z'), 'HERTZ unavailable');
    expect(reservation.supplierRejectedAt).toBeNull();
    expect(reservation.progress.supplier).toBe('retrying');
    reservation.rejectBySupplier('HERTZ rejected: CATEGORY_UNAVAILABLE', 'HERTZ rejected the booking', at);
    reservation.confirmWithSupplier('H1234567', 'HERTZ confirmed');
    expect(reservation.supplierRejectedAt).toBeNull();
    expect(reservation.progress.supplier).toBe('confirmed');
  });

  it('records once that the intent of an expired reservation was cancelled', () => {
    const reservation = aReservation();
    reservation.status = S.PAYMENT_IN_PROGRESS;
    const at = new Date('2026-11-22T10:40:00Z');
    expect(reservation.expireUnpaid('payment window elapsed')).toBe(true);
    expect(reservation.paymentIntentCanceledAt).toBeNull();
    expect(reservation.applyPaymentOutcome({ kind: 'canceled' }, 'payment intent cancelled', at)).toBe(true);
    expect(reservation).toMatchObject({ status: S.EXPIRED, paymentIntentCanceledAt: at });
    expect(reservation.applyPaymentOutcome({ kind: 'canceled' }, 'stripe payment_intent.canceled', new Date())).toBe(false);
    expect(reservation.paymentIntentCanceledAt).toBe(at);
  });

  it('matches the customer e-mail in any case', () => {
    const reservation = aReservation();
    expect(reservation.belongsTo('ana@example.com')).toBe(true);
    expect(reservation.belongsTo(' ANA@EXAMPLE.COM ')).toBe(true);
    expect(reservation.belongsTo('eve@example.com')).toBe(false);
  });
});
