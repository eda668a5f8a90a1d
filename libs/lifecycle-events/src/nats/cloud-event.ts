import { eventTypeOf, LifecycleChange } from '../lifecycle-change';

/** A CloudEvents 1.0 event in structured JSON mode (the whole event is the message body). */
export interface ReservationCloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: {
    reservation_code: string;
    status: string;
    previous_status: string | null;
    progress: { code: string; payment: string; supplier: string };
    supplier_code: string;
    pickup_office_code: string;
    dropoff_office_code: string;
    car_category: string;
    pickup_at: string;
    dropoff_at: string;
    amount: number;
    currency: string;
    supplier_confirmation: string | null;
  };
}

/** The media type of a structured-mode CloudEvent, in the message's `Content-Type` header. */
export const CLOUDEVENTS_JSON = 'application/cloudevents+json; charset=utf-8';

export function cloudEventOf(change: LifecycleChange, source: string): ReservationCloudEvent {
  return {
    specversion: '1.0',
    id: change.id,
    source,
    type: eventTypeOf(change.status),
    subject: change.reservationCode,
    time: change.occurredAt,
    datacontenttype: 'application/json',
    data: {
      reservation_code: change.reservationCode,
      status: change.status,
      previous_status: change.previousStatus,
      progress: change.progress,
      supplier_code: change.supplierCode,
      pickup_office_code: change.pickupOfficeCode,
      dropoff_office_code: change.dropoffOfficeCode,
      car_category: change.carCategoryCode,
      pickup_at: change.pickupAt,
      dropoff_at: change.dropoffAt,
      amount: change.amount,
      currency: change.currency,
      supplier_confirmation: change.supplierConfirmation,
    },
  };
}

/** `reservations.paid`: the NATS subject of a change. */
export function subjectOf(prefix: string, change: LifecycleChange): string {
  return `${prefix}.${change.status.toLowerCase()}`;
}
