import { Injectable } from '@nestjs/common';
import { normalizeReservationCode } from '../domain/reservation-code';
import { Reservation } from '../reservation.entity';
import { ReservationNotFoundError } from '../reservation.errors';
import { ReservationsRepository } from '../reservations.repository';

@Injectable()
export class GetReservationHandler {
  constructor(private readonly reservations: ReservationsRepository) {}

  /** Code and e-mail together, or nothing: no answer tells which of the two was wrong. */
  async execute(input: { code: string; email: string }): Promise<Reservation> {
    const code = normalizeReservationCode(input.code);
    const reservation = code ? await this.reservations.findByCode(code) : null;
    if (!reservation || !reservation.belongsTo(input.email)) throw new ReservationNotFoundError();
    return reservation;
  }
}
