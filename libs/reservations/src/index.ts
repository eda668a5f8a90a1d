export { RESERVATION_CODE_ALPHABET, RESERVATION_CODE_PATTERN } from './domain/reservation-code';
export { ALLOWED_TRANSITIONS, progressOf, ReservationStatus } from './domain/reservation-status';
export type { CaptureMethod, PaymentOutcome } from './domain/payment-outcome';
export {
  DISPUTE_ACTION_STATUSES,
  Reservation,
  REFUNDED_AT_STRIPE_AFTER_BOOKING,
  UNPAID,
} from './reservation.entity';
export type { DisputeFacts, StatusChange, StripeRefundEffect } from './reservation.entity';
export { ReservationStatusListener } from './reservation-status-listener';
export type { RecordedStatusChange } from './reservation-status-listener';
export { ReservationStatusHistory } from './reservation-status-history.entity';
export {
  BookingRunNotDueError,
  ReservationActionNotAllowedError,
  ReservationChangedConcurrentlyError,
  ReservationNotFoundError,
} from './reservation.errors';
export { ReservationsPersistenceModule } from './reservations-persistence.module';
export { ReservationsRepository } from './reservations.repository';
export type { PaymentCheck } from './reservations.repository';
export { AdminReservationView, toAdminReservationView } from './admin/admin-reservation.view';
export { ListReservationsCommand } from './admin/list-reservations.command';
export { ReservationsModule } from './reservations.module';
export { ReservationPaymentStarter } from './create-reservation/reservation-payment-starter';
export type { PaymentIntentRef } from './create-reservation/reservation-payment-starter';
export { CustomerLookupQuery } from './get-reservation/get-reservation.controller';
