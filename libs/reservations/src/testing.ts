// For tests that drive the create use case without HTTP (the lifecycle model); not for other libs.
export { CreateReservationHandler } from './create-reservation/create-reservation.handler';
export type { CreateReservationInput } from './create-reservation/create-reservation.handler';
// For the persistence test that checks `saveChanges` writes every column but these.
export { WRITTEN_ONCE_OR_APART } from './reservations.repository';
