// The HTTP slice (ReservationsModule) is imported by the apps from its own file: other slices
// use the aggregate below, and the slice itself depends on payments.
export * from './domain/reservation-code';
export * from './domain/reservation-status';
export * from './domain/rental-period';
export * from './reservation.entity';
export * from './reservation.errors';
export * from './reservation.view';
export * from './reservations-persistence.module';
export * from './reservations.repository';
export * from './admin/admin-reservation.view';
export { CustomerLookupQuery } from './get-reservation/get-reservation.controller';
