import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Metrics } from '@app/core';

/** Reservations created and status transitions, counted once their transaction committed. */
@Injectable()
export class ReservationMetrics {
  readonly created: Counter<'supplier'>;
  readonly transitions: Counter<'from' | 'to'>;

  constructor(metrics: Metrics) {
    this.created = metrics.counter({ name: 'reservations_created_total', help: 'Reservations created, by supplier', labelNames: ['supplier'] });
    this.transitions = metrics.counter({
      name: 'reservation_status_transitions_total',
      help: 'Reservation status changes, by from and to status (from "none" at creation)',
      labelNames: ['from', 'to'],
    });
  }
}
