import { EntityManager } from 'typeorm';
import { Reservation } from '../reservation.entity';

/**
 * How the create use case starts a reservation's payment. Reservations declares it and the
 * payments slice provides it (the app binds them: `ReservationsModule.forRoot`), so that the
 * aggregate knows nothing of who drives it and the libraries have no cycle.
 */
export abstract class ReservationPaymentStarter {
  /**
   * Inside the transaction that inserts the reservation: the durable safety net that starts
   * the payment a little later if the inline attempt does not make it.
   */
  abstract scheduleSafetyNet(manager: EntityManager, reservation: Reservation, now: Date): Promise<void>;

  /**
   * After the commit: starts the payment now if the payment provider answers in time. Never
   * throws; returns the reservation as it is then (with its payment, or still without).
   */
  abstract tryInline(reservation: Reservation): Promise<Reservation>;
}
