import { EntityManager } from 'typeorm';
import type { StatusChange } from './reservation.entity';
import { Reservation } from './reservation.entity';

/** A change of status as the history recorded it. */
export interface RecordedStatusChange extends StatusChange {
  /** The history row: unique, and stable for as long as the database lives. */
  historyId: number;
  at: Date;
}

/**
 * Told of every change of status, inside the transaction that writes it, so that what it
 * records commits with the change or not at all. Reservations declares it and the lifecycle
 * events slice provides it (a global module of the app), so that the aggregate knows nothing
 * of who listens. Notes that keep the status (a flag, a capture requested) are not changes.
 */
export abstract class ReservationStatusListener {
  abstract statusChanged(manager: EntityManager, reservation: Reservation, change: RecordedStatusChange): Promise<void>;
}
