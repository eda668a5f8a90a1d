// For the unit specs, the end-to-end tests and the benchmarks that write lifecycle events
// straight to the outbox; not for other libs.
import { ReservationStatus } from '@app/reservations';
import type { LifecycleChange } from './lifecycle-change';

/** A change as the outbox holds it (a PAID reservation of HERTZ), with what a sink may say; `overrides` over it. */
export function aLifecycleChange(overrides: Partial<LifecycleChange> = {}): LifecycleChange {
  return {
    id: 'evt_K7M2Q9XD_42',
    reservationCode: 'K7M2Q9XD',
    status: ReservationStatus.PAID,
    previousStatus: ReservationStatus.PAYMENT_IN_PROGRESS,
    occurredAt: '2030-05-01T08:30:00.123Z',
    progress: { code: 'issued', payment: 'succeeded', supplier: 'pending' },
    supplierCode: 'HERTZ',
    pickupOfficeCode: 'MAD-T4',
    dropoffOfficeCode: 'BCN-T1',
    carCategoryCode: 'CDMR',
    pickupAt: '2030-06-01T08:00:00.000Z',
    dropoffAt: '2030-06-05T08:00:00.000Z',
    amount: 18950,
    currency: 'EUR',
    supplierConfirmation: null,
    ...overrides,
  };
}
