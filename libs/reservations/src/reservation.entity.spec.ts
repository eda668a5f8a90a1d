import { Reservation } from './reservation.entity';
import { BookingRunNotDueError, IllegalTransitionError, ReservationActionNotAllowedError } from './reservation.errors';
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

  describe('booking runs', () => {
    function awaitingSupplier(status: S = S.PAID, attempts = 0): Reservation {
      const reservation = aReservation();
      Object.assign(reservation, { status, supplierAttempts: attempts });
      return reservation;
    }

    it('lets the run that follows the latest one start, and calls an older one stale', () => {
      expect(awaitingSupplier(S.PAID, 0).bookingRunAfter(0)).toBe('due');
      expect(awaitingSupplier(S.CONFIRMED_INTERNAL, 3).bookingRunAfter(3)).toBe('due');
      expect(awaitingSupplier(S.CONFIRMED_INTERNAL, 3).bookingRunAfter(2)).toBe('stale');
    });

    it('has nothing to do for a reservation that does not await the supplier, or whose refund is under way', () => {
      for (const status of [S.CREATED, S.PAYMENT_IN_PROGRESS, S.EXPIRED, S.SUPPLIER_CONFIRMED, S.REFUNDED]) {
        expect(awaitingSupplier(status, 0).bookingRunAfter(0)).toBe('nothing_to_do');
      }
      const refunding = awaitingSupplier(S.CONFIRMED_INTERNAL, 1);
      refunding.refundRequestedAt = new Date('2026-11-22T11:00:00Z');
      expect(refunding.bookingRunAfter(1)).toBe('nothing_to_do');
    });

    it('counts the next run', () => {
      const reservation = awaitingSupplier(S.CONFIRMED_INTERNAL, 2);
      reservation.countBookingRun(3);
      expect(reservation.supplierAttempts).toBe(3);
    });

    it('refuses to count a run that is not the next one, and leaves the count alone', () => {
      const reservation = awaitingSupplier(S.CONFIRMED_INTERNAL, 2);
      expect(() => reservation.countBookingRun(2)).toThrow(BookingRunNotDueError);
      expect(() => reservation.countBookingRun(4)).toThrow(BookingRunNotDueError);
      expect(reservation.supplierAttempts).toBe(2);
    });

    it('refuses to count a run of a reservation that no longer awaits the supplier', () => {
      expect(() => awaitingSupplier(S.SUPPLIER_CONFIRMED, 1).countBookingRun(2)).toThrow(BookingRunNotDueError);
      const refunding = awaitingSupplier(S.CONFIRMED_INTERNAL, 1);
      refunding.refundRequestedAt = new Date('2026-11-22T11:00:00Z');
      expect(() => refunding.countBookingRun(2)).toThrow(BookingRunNotDueError);
      expect(refunding.supplierAttempts).toBe(1);
    });

    it('schedules a run now on an operator\'s demand, with who asked in the history', () => {
      const reservation = awaitingSupplier(S.CONFIRMED_INTERNAL, 2);
      reservation.takePendingChanges();
      const at = new Date('2026-11-22T12:00:00Z');
      reservation.retrySupplierBookingNow(at, 'admin:ana');
      expect(reservation.supplierNextRetryAt).toBe(at);
      expect(reservation.takePendingChanges()).toEqual([
        { from: S.CONFIRMED_INTERNAL, to: S.CONFIRMED_INTERNAL, cause: 'operator asked to retry the supplier booking now', actor: 'admin:ana' },
      ]);
    });

    it('refuses "retry now" when there is nothing to book, and changes nothing', () => {
      const at = new Date('2026-11-22T12:00:00Z');
      const booked = awaitingSupplier(S.SUPPLIER_CONFIRMED, 1);
      booked.takePendingChanges();
      expect(() => booked.retrySupplierBookingNow(at, 'admin:ana')).toThrow(
        new ReservationActionNotAllowedError('Reservation K7M2Q9XD is SUPPLIER_CONFIRMED: there is nothing to book.'),
      );
      expect(booked.supplierNextRetryAt).toBeNull();
      expect(booked.takePendingChanges()).toEqual([]);
      const refunding = awaitingSupplier(S.CONFIRMED_INTERNAL, 1);
      refunding.refundRequestedAt = at;
      expect(() => refunding.retrySupplierBookingNow(at, 'admin:ana')).toThrow(
        'Reservation K7M2Q9XD is CONFIRMED_INTERNAL with a refund under way: there is nothing to book.',
      );
    });
  });

  describe('refunds', () => {
    function confirmedInternal(): Reservation {
      const reservation = aReservation();
      Object.assign(reservation, { status: S.CONFIRMED_INTERNAL, paymentIntentId: 'pi_123', supplierAttempts: 1 });
      reservation.takePendingChanges();
      return reservation;
    }

    it('refuses a refund of a reservation that is not CONFIRMED_INTERNAL, or was never paid through an intent', () => {
      const at = new Date('2026-11-22T12:00:00Z');
      const paid = confirmedInternal();
      paid.status = S.PAID;
      expect(() => paid.requestRefund(at, 'admin:ana')).toThrow(
        new ReservationActionNotAllowedError('Reservation K7M2Q9XD is PAID: only a CONFIRMED_INTERNAL reservation is refunded.'),
      );
      const withoutIntent = confirmedInternal();
      withoutIntent.paymentIntentId = null;
      expect(() => withoutIntent.requestRefund(at, 'admin:ana')).toThrow(ReservationActionNotAllowedError);
      expect([paid.refundRequestedAt, withoutIntent.refundRequestedAt]).toEqual([null, null]);
      expect(paid.takePendingChanges()).toEqual([]);
    });

    it('is pending from the request until it ends, and refunded without a known supplier booking after', () => {
      const reservation = confirmedInternal();
      expect(reservation.refundPending).toBe(false);
      reservation.requestRefund(new Date('2026-11-22T12:00:00Z'), 'admin:ana');
      expect(reservation.refundPending).toBe(true);
      expect(reservation.endedWithoutSupplierBooking).toBe(false);
      reservation.refund('re_1', 18950, 'refunded', 'admin:ana');
      expect(reservation.refundPending).toBe(false);
      expect(reservation.endedWithoutSupplierBooking).toBe(true);
      reservation.keepConfirmationAfterRefund('H1234567', 'HERTZ confirmed after the refund');
      expect(reservation.endedWithoutSupplierBooking).toBe(false);
    });
  });

  describe('money moved at Stripe', () => {
    function inStatus(status: S): Reservation {
      const reservation = aReservation();
      Object.assign(reservation, { status, paymentIntentId: 'pi_123', supplierAttempts: 1, paidAt: new Date('2026-11-22T10:05:00Z') });
      if (status === S.SUPPLIER_CONFIRMED) reservation.supplierConfirmation = 'H1234567';
      reservation.takePendingChanges();
      return reservation;
    }
    const full = { refundedTotal: 18950, capturedTotal: 18950 };

    it('a full refund before the booking is REFUNDED; a PAID one passes through CONFIRMED_INTERNAL', () => {
      const paid = inStatus(S.PAID);
      expect(paid.recordRefundAtStripe(full, 'refunded at Stripe')).toBe('refunded');
      expect(paid).toMatchObject({ status: S.REFUNDED, refundedAmount: 18950, refundId: null, needsAttention: false });
      expect(paid.takePendingChanges().map((change) => `${change.from}->${change.to}`)).toEqual([
        'PAID->CONFIRMED_INTERNAL',
        'CONFIRMED_INTERNAL->REFUNDED',
      ]);
      const internal = inStatus(S.CONFIRMED_INTERNAL);
      expect(internal.recordRefundAtStripe(full, 'refunded at Stripe')).toBe('refunded');
      expect(internal.status).toBe(S.REFUNDED);
    });

    it('a full refund after the booking keeps SUPPLIER_CONFIRMED and flags it; a partial one records the total only', () => {
      const booked = inStatus(S.SUPPLIER_CONFIRMED);
      expect(booked.recordRefundAtStripe({ refundedTotal: 1000, capturedTotal: 18950 }, 'refunded 10.00')).toBe('recorded');
      expect(booked).toMatchObject({ status: S.SUPPLIER_CONFIRMED, refundedAmount: 1000, needsAttention: false });
      expect(booked.recordRefundAtStripe(full, 'refunded the rest')).toBe('flagged');
      expect(booked).toMatchObject({ status: S.SUPPLIER_CONFIRMED, refundedAmount: 18950, needsAttention: true });
      expect(booked.takePendingChanges().map((change) => change.cause)).toEqual(['refunded 10.00', 'refunded the rest']);
    });

    it('totals only grow: a repeated or older event tells nothing new', () => {
      const booked = inStatus(S.SUPPLIER_CONFIRMED);
      booked.recordRefundAtStripe({ refundedTotal: 1500, capturedTotal: 18950 }, 'refunded 15.00');
      expect(booked.recordRefundAtStripe({ refundedTotal: 1500, capturedTotal: 18950 }, 'again')).toBe(false);
      expect(booked.recordRefundAtStripe({ refundedTotal: 1000, capturedTotal: 18950 }, 'older')).toBe(false);
      expect(booked.refundedAmount).toBe(1500);
    });

    it('our own refund under way records the amount and leaves the end to the refund flow', () => {
      const reservation = inStatus(S.CONFIRMED_INTERNAL);
      reservation.requestRefund(new Date('2026-11-22T12:00:00Z'), 'admin:ana');
      reservation.takePendingChanges();
      expect(reservation.recordRefundAtStripe(full, 'echo')).toBe('recorded');
      expect(reservation).toMatchObject({ status: S.CONFIRMED_INTERNAL, refundedAmount: 18950, refundState: 'REQUESTED' });
      expect(reservation.takePendingChanges()).toEqual([]);
    });

    it('a full refund reported before the payment succeeded applies once it does: REFUNDED, not booked', () => {
      const unpaid = inStatus(S.PAYMENT_IN_PROGRESS);
      unpaid.paidAt = null;
      expect(unpaid.recordRefundAtStripe(full, 'refunded early')).toBe('recorded');
      expect(unpaid.status).toBe(S.PAYMENT_IN_PROGRESS);
      expect(unpaid.applyPaymentOutcome({ kind: 'succeeded' }, 'payment_intent.succeeded')).toBe(true);
      expect(unpaid).toMatchObject({ status: S.REFUNDED, refundedAmount: 18950, refundId: null });
    });

    it('our refund never lowers the total Stripe reported (a Dashboard refund came first)', () => {
      const reservation = inStatus(S.CONFIRMED_INTERNAL);
      reservation.requestRefund(new Date('2026-11-22T12:00:00Z'), 'admin:ana');
      reservation.recordRefundAtStripe(full, 'echo of ours, after 63.16 in the Dashboard');
      reservation.refund('re_ours', 12634, 'refunded the rest', 'admin:ana');
      expect(reservation).toMatchObject({ status: S.REFUNDED, refundedAmount: 18950, refundId: 're_ours' });
    });

    it('dispute events out of order: an older status never replaces a newer one', () => {
      const reservation = inStatus(S.SUPPLIER_CONFIRMED);
      const at = new Date('2026-11-23T09:00:00Z');
      expect(reservation.recordDispute({ id: 'dp_1', status: 'under_review', reason: 'fraudulent' }, 'evidence', at)).toBe(true);
      expect(reservation.recordDispute({ id: 'dp_1', status: 'needs_response', reason: 'fraudulent' }, 'late created', at)).toBe(false);
      expect(reservation.disputeStatus).toBe('under_review');
      const inquiry = inStatus(S.SUPPLIER_CONFIRMED);
      inquiry.recordDispute({ id: 'dp_2', status: 'needs_response', reason: 'fraudulent' }, 'escalated', at);
      expect(inquiry.recordDispute({ id: 'dp_2', status: 'warning_needs_response', reason: 'fraudulent' }, 'late inquiry', at)).toBe(false);
      expect(inquiry.disputeStatus).toBe('needs_response');
    });

    it('a dispute is flagged, keeps its latest status, and a final one never reopens; a booking does not clear its flag', () => {
      const reservation = inStatus(S.CONFIRMED_INTERNAL);
      const at = new Date('2026-11-23T09:00:00Z');
      expect(reservation.recordDispute({ id: 'dp_1', status: 'needs_response', reason: 'fraudulent' }, 'opened', at)).toBe(true);
      expect(reservation).toMatchObject({ disputeId: 'dp_1', disputeStatus: 'needs_response', disputeReason: 'fraudulent', disputedAt: at, needsAttention: true });
      expect(reservation.confirmWithSupplier('H1234567', 'HERTZ confirmed')).toBe(true);
      expect(reservation.needsAttention).toBe(true);
      expect(reservation.recordDispute({ id: 'dp_1', status: 'needs_response', reason: 'fraudulent' }, 'again', at)).toBe(false);
      expect(reservation.recordDispute({ id: 'dp_1', status: 'won', reason: 'fraudulent' }, 'won', at)).toBe(true);
      expect(reservation.disputeNeedsAction).toBe(false);
      expect(reservation.recordDispute({ id: 'dp_1', status: 'under_review', reason: 'fraudulent' }, 'late', at)).toBe(false);
      expect(reservation.disputeStatus).toBe('won');
    });
  });

  it('matches the customer e-mail in any case', () => {
    const reservation = aReservation();
    expect(reservation.belongsTo('ana@example.com')).toBe(true);
    expect(reservation.belongsTo(' ANA@EXAMPLE.COM ')).toBe(true);
    expect(reservation.belongsTo('eve@example.com')).toBe(false);
  });
});
