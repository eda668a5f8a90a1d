import { Reservation } from '@app/reservations';
import { SupplierStatus } from '../receipt.entity';
import { aPaidReservation, aReceiptComposer } from '../testing';

const AT = new Date('2026-11-22T11:00:00.000Z');
const RETRY_AT = new Date('2026-11-22T11:05:00.000Z');

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
});
