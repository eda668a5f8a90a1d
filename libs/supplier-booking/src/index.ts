export { BudgetRestGateway } from './adapters/budget-rest.gateway';
export { EuropcarGateway } from './adapters/europcar.gateway';
export { HertzOtaGateway } from './adapters/hertz-ota.gateway';
export { BookWithSupplierHandler } from './book-with-supplier/book-with-supplier.handler';
export { CHECK_SUPPLIER_AFTER_REFUND, ISSUE_RECEIPT, RETRY_SUPPLIER_BOOKING, SETTLE_REFUND } from './booking-events';
export { maskPersonalData } from './masking';
export { RefundReservationHandler } from './operators/refund-reservation.handler';
export { RetrySupplierBookingNowHandler } from './operators/retry-supplier-booking-now.handler';
export {
  ListReservationsCommand,
  MoneySafetyCommand,
  RefundCommand,
  RetryBookingCommand,
} from './operators/supplier-booking.commands';
export { SupplierBookingClient } from './supplier-booking.client';
export { SupplierBookingModule } from './supplier-booking.module';
export { SupplierGateway, SupplierUnavailableError } from './supplier-gateway';
export type { SupplierAnswer, SupplierBookingRequest, SupplierCallContext } from './supplier-gateway';
export { SupplierGateways } from './supplier-gateways';
export { ReservationSupplierRequest } from './supplier-request.entity';
export { suppliersConfig } from './suppliers.config';
export type { SuppliersConfig } from './suppliers.config';
