import { EntityManager } from 'typeorm';
import { CaptureMethod } from '../domain/payment-outcome';
import { Reservation } from '../reservation.entity';

/** A PaymentIntent as the create use case records it on the reservation. */
export interface PaymentIntentRef {
  id: string;
  clientSecret: string | null;
  /** How it takes the money: at once, or held until captured. */
  captureMethod: CaptureMethod;
}

/**
 * How the create use case starts a reservation's payment. Reservations declares it and the
 * payments slice provides it (the app binds them: `ReservationsModule.forRoot`), so that the
 * aggregate knows nothing of who drives it and the libraries have no cycle.
 */
export abstract class ReservationPaymentStarter {
  /**
   * How a reservation made now will take its money, decided once and stored with its insert:
   * every attempt under its PaymentIntent's idempotency key then sends the same parameters,
   * whatever the configuration says later.
   */
  abstract captureMethodOfNewReservation(): CaptureMethod;

  /**
   * Inside the transaction that inserts the reservation: the durable safety net that starts
   * the payment a little later if the inline attempt does not make it.
   */
  abstract scheduleSafetyNet(manager: EntityManager, reservation: Reservation, now: Date): Promise<void>;

  /**
   * After that commit, outside any transaction: the reservation's PaymentIntent if the payment
   * provider answers in time, null if it does not (or the reservation needs none). Never
   * throws; records nothing (the caller does, with what commits alongside).
   */
  abstract requestIntent(reservation: Reservation): Promise<PaymentIntentRef | null>;
}
