import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { AuditModule } from '@app/core';
import { CatalogModule } from '@app/catalog';
import { ListReservationsController } from './admin/list-reservations.controller';
import { CreateReservationController } from './create-reservation/create-reservation.controller';
import { CreateReservationHandler } from './create-reservation/create-reservation.handler';
import { GetReservationController } from './get-reservation/get-reservation.controller';
import { GetReservationHandler } from './get-reservation/get-reservation.handler';
import { ReservationsPersistenceModule } from './reservations-persistence.module';

export interface ReservationsModuleOptions {
  /** A module that exports a `ReservationPaymentStarter` provider: the app passes PaymentsModule. */
  payments: NonNullable<ModuleMetadata['imports']>[number];
}

/**
 * The HTTP slice: create, look up, list. The app composes it with the module that starts the
 * payment, so that this library imports none of the slices that drive a reservation.
 */
@Module({})
export class ReservationsModule {
  static forRoot(options: ReservationsModuleOptions): DynamicModule {
    return {
      module: ReservationsModule,
      imports: [AuditModule, CatalogModule, ReservationsPersistenceModule, options.payments],
      controllers: [CreateReservationController, GetReservationController, ListReservationsController],
      providers: [CreateReservationHandler, GetReservationHandler],
    };
  }
}
