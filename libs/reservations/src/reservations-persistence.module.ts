import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Reservation } from './reservation.entity';
import { ReservationStatusHistory } from './reservation-status-history.entity';
import { ReservationMetrics } from './reservation.metrics';
import { ReservationsRepository } from './reservations.repository';

/**
 * The reservation aggregate and its repository, for the slices that move a reservation along
 * its lifecycle (payments, webhook, supplier booking) without depending on the HTTP slice.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Reservation, ReservationStatusHistory])],
  providers: [ReservationsRepository, ReservationMetrics],
  exports: [ReservationsRepository],
})
export class ReservationsPersistenceModule {}
