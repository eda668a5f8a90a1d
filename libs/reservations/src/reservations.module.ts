import { Module } from '@nestjs/common';
import { AuditModule } from '@app/core';
import { CatalogModule } from '@app/catalog';
import { OutboxModule } from '@app/outbox';
import { PaymentsModule } from '@app/payments';
import { ListReservationsController } from './admin/list-reservations.controller';
import { CreateReservationController } from './create-reservation/create-reservation.controller';
import { CreateReservationHandler } from './create-reservation/create-reservation.handler';
import { GetReservationController } from './get-reservation/get-reservation.controller';
import { GetReservationHandler } from './get-reservation/get-reservation.handler';
import { ReservationsPersistenceModule } from './reservations-persistence.module';

@Module({
  imports: [AuditModule, CatalogModule, ReservationsPersistenceModule, OutboxModule, PaymentsModule],
  controllers: [CreateReservationController, GetReservationController, ListReservationsController],
  providers: [CreateReservationHandler, GetReservationHandler],
})
export class ReservationsModule {}
