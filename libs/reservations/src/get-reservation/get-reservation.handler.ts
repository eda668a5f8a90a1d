import { Injectable } from '@nestjs/common';
import { Reservation } from '../reservation.entity';
import { ReservationNotFoundError } from '../reservation.errors';
import { ReservationsRepository } from '../reservations.repository';

@Injectable()
export class GetReservationHandler {
  constructor(private readonly reservations: ReservationsRepository) {}

  /** Code and e-mail together, or nothing: no answer tells which of the two was wrong. */
  async execute(input: { code: string; email: string }): Promise<Reservation> {
    const reservation = await this.reservations.findForCustomer(input.code, input.email);
    if (!reservation) throw new ReservationNotFoundError();
    return reservation;
  }
}
