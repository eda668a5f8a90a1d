import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Reservation } from '../reservation.entity';
import { toReservationView, ReservationView } from '../reservation.view';

export class OperationsView {
  @ApiProperty({ example: 3, description: 'Send it back with retry and refund: a stale one is refused (409).' })
  lock_version!: number;
  @ApiProperty({ example: false }) needs_attention!: boolean;
  @ApiProperty({ example: 2, description: 'Booking runs with the supplier so far' }) supplier_attempts!: number;
  @ApiPropertyOptional({ nullable: true, example: 'HERTZ is failing: circuit open' }) supplier_last_error!: string | null;
  @ApiPropertyOptional({ nullable: true, example: '2026-11-22T10:05:00.000Z' }) supplier_next_retry_at!: string | null;
  @ApiPropertyOptional({ nullable: true, example: '2026-11-22T10:00:00.000Z' }) paid_at!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'Set while a refund is under way' }) refund_requested_at!: string | null;
  @ApiPropertyOptional({ nullable: true, example: 're_3Q0abc' }) refund_id!: string | null;
  @ApiPropertyOptional({ nullable: true, example: 18950, description: 'Minor units refunded' }) refunded_amount!: number | null;
}

/** What operators see of a reservation: the customer's view plus the state of its operations. */
export class AdminReservationView extends ReservationView {
  @ApiProperty({ type: OperationsView }) operations!: OperationsView;
}

export function toAdminReservationView(reservation: Reservation): AdminReservationView {
  return {
    ...toReservationView(reservation),
    operations: {
      lock_version: reservation.lockVersion,
      needs_attention: reservation.needsAttention,
      supplier_attempts: reservation.supplierAttempts,
      supplier_last_error: reservation.supplierLastError,
      supplier_next_retry_at: reservation.supplierNextRetryAt?.toISOString() ?? null,
      paid_at: reservation.paidAt?.toISOString() ?? null,
      refund_requested_at: reservation.refundRequestedAt?.toISOString() ?? null,
      refund_id: reservation.refundId,
      refunded_amount: reservation.refundedAmount,
    },
  };
}
