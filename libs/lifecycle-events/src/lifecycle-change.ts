import { RecordedStatusChange, Reservation, ReservationStatus } from '@app/reservations';

/** The outbox event types of the two sinks; each in its own ordered lane (ADR 0017). */
export const PUBLISH_LIFECYCLE_EVENT = 'PUBLISH_LIFECYCLE_EVENT';
export const SEND_STATUS_WEBHOOK = 'SEND_STATUS_WEBHOOK';
export const EVENTS_LANE = 'events';
export const WEBHOOKS_LANE = 'webhooks';

/**
 * One change of status as the sinks publish it, taken inside the transaction of the change, so
 * that it says what the reservation was then, however late it goes out. No personal data: no
 * name, e-mail or phone. It is the outbox event's payload of both sinks.
 */
export interface LifecycleChange {
  /** The CloudEvents `id` and the `webhook-id`: unique, and the same on every retry. */
  id: string;
  reservationCode: string;
  status: ReservationStatus;
  previousStatus: ReservationStatus | null;
  /** ISO 8601, UTC: when the change committed (the history row's time). */
  occurredAt: string;
  progress: { code: string; payment: string; supplier: string };
  supplierCode: string;
  pickupOfficeCode: string;
  dropoffOfficeCode: string;
  carCategoryCode: string;
  pickupAt: string;
  dropoffAt: string;
  amount: number;
  currency: string;
  supplierConfirmation: string | null;
}

export function lifecycleChangeOf(reservation: Reservation, change: RecordedStatusChange): LifecycleChange {
  return {
    id: `evt_${reservation.code}_${change.historyId}`,
    reservationCode: reservation.code,
    status: change.to,
    previousStatus: change.from,
    occurredAt: change.at.toISOString(),
    // A transaction that makes two changes tells each with the progress of its own status.
    progress: reservation.progressIn(change.to),
    supplierCode: reservation.supplierCode,
    pickupOfficeCode: reservation.pickupOfficeCode,
    dropoffOfficeCode: reservation.dropoffOfficeCode,
    carCategoryCode: reservation.carCategoryCode,
    pickupAt: reservation.pickupAt.toISOString(),
    dropoffAt: reservation.dropoffAt.toISOString(),
    amount: reservation.amount,
    currency: reservation.currency,
    supplierConfirmation: reservation.supplierConfirmation,
  };
}

/** `reservation.paid`, `reservation.supplier_confirmed`: the event type of a status. */
export function eventTypeOf(status: ReservationStatus): string {
  return `reservation.${status.toLowerCase()}`;
}
