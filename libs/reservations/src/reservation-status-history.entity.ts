import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { ReservationStatus } from './domain/reservation-status';

/** Every change of status: from, to, why, who, when. */
@Entity({ name: 'reservation_status_history' })
@Index('IX_reservation_status_history_reservation', ['reservationId', 'id'])
export class ReservationStatusHistory {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'reservation_id', type: 'int' })
  reservationId!: number;

  @Column({ name: 'from_status', type: 'varchar', length: 32, nullable: true })
  fromStatus!: ReservationStatus | null;

  @Column({ name: 'to_status', type: 'varchar', length: 32 })
  toStatus!: ReservationStatus;

  @Column({ type: 'varchar', length: 255 })
  cause!: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  actor!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
