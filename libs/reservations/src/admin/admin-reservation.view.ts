import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ReservationStatus } from '../domain/reservation-status';
import { Reservation } from '../reservation.entity';
import { toReservationView, ReservationView } from '../reservation.view';

export class OperationsView {
  @ApiProperty({ example: 3, description: 'Send it back with retry and refund: a stale one is refused (409).' })
  lock_version!: number;
  @ApiProperty({ example: false }) needs_attention!: boolean;
  @ApiProperty({ example: 2, description: 'Booking runs with the supplier so far' }) supplier_attempts!: number;
  @ApiPropertyOptional({ nullable: true, example: 'HERTZ is failing: circuit open' }) supplier_last_error!: string | null;
  @ApiPropertyOptional({ nullable: true, example: '2026-11-22T10:05:00.000Z' }) supplier_next_retry_at!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'When the supplier refused it for good; cleared by a later run that defers or confirms' })
  supplier_rejected_at!: string | null;
  @ApiPropertyOptional({ nullable: true, example: '2026-11-22T10:00:00.000Z' }) paid_at!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    description: 'When Stripe was seen to cancel the PaymentIntent; an EXPIRED reservation without it is still watched by the reconciliation',
  })
  payment_intent_canceled_at!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'When the payment reconciliation last read this payment' })
  payment_checked_at!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'Set while a refund is under way' }) refund_requested_at!: string | null;
  @ApiProperty({
    enum: ['none', 'requested', 'outcome_unknown', 'refunded'],
    description: "outcome_unknown: Stripe's answer was lost; booking stays blocked and the outbox settles it (repeating the refund is safe)",
  })
  refund_state!: 'none' | 'requested' | 'outcome_unknown' | 'refunded';
  @ApiPropertyOptional({ nullable: true, description: 'Why the last refund attempt did not end it' }) refund_last_error!: string | null;
  @ApiPropertyOptional({ nullable: true, example: 're_3Q0abc' }) refund_id!: string | null;
  @ApiPropertyOptional({ nullable: true, example: 18950, description: 'Minor units refunded, by our refund or at Stripe (the Dashboard)' }) refunded_amount!: number | null;
  @ApiProperty({ enum: ['automatic', 'manual'], description: 'manual: the money was held on the card and is captured once the supplier books it' })
  capture_method!: 'automatic' | 'manual';
  @ApiPropertyOptional({ nullable: true, description: 'When the money was held on the card' }) authorized_at!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    example: '2026-11-29T10:00:00.000Z',
    description: "Stripe's deadline for capturing the hold; PAYMENT_CAPTURE_DEADLINE_POLICY acts PAYMENT_CAPTURE_MARGIN_HOURS before it",
  })
  capture_before!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'When a capture was decided (CAPTURE_PAYMENT is under way)' }) capture_requested_at!: string | null;
  @ApiPropertyOptional({ nullable: true }) captured_at!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'Why Stripe refused the capture: cancel the supplier booking or charge again' })
  capture_last_error!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'When the hold was released: nothing was charged' }) released_at!: string | null;
  @ApiPropertyOptional({ nullable: true, example: 'dp_1Q0abc', description: "The dispute of the charge, if the cardholder's bank opened one" })
  dispute_id!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    example: 'needs_response',
    description: "As Stripe last reported it (needs_response, under_review, won, lost, …): open or lost, the money-safety check lists it",
  })
  dispute_status!: string | null;
  @ApiPropertyOptional({ nullable: true, example: 'fraudulent' }) dispute_reason!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'When we first learnt of the dispute' }) disputed_at!: string | null;
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
      supplier_rejected_at: reservation.supplierRejectedAt?.toISOString() ?? null,
      paid_at: reservation.paidAt?.toISOString() ?? null,
      payment_intent_canceled_at: reservation.paymentIntentCanceledAt?.toISOString() ?? null,
      payment_checked_at: reservation.paymentCheckedAt?.toISOString() ?? null,
      refund_requested_at: reservation.refundRequestedAt?.toISOString() ?? null,
      refund_state: refundStateOf(reservation),
      refund_last_error: reservation.refundLastError,
      refund_id: reservation.refundId,
      refunded_amount: reservation.refundedAmount,
      capture_method: reservation.captureMethod,
      authorized_at: reservation.authorizedAt?.toISOString() ?? null,
      capture_before: reservation.captureBefore?.toISOString() ?? null,
      capture_requested_at: reservation.captureRequestedAt?.toISOString() ?? null,
      captured_at: reservation.capturedAt?.toISOString() ?? null,
      capture_last_error: reservation.captureLastError,
      released_at: reservation.releasedAt?.toISOString() ?? null,
      dispute_id: reservation.disputeId,
      dispute_status: reservation.disputeStatus,
      dispute_reason: reservation.disputeReason,
      disputed_at: reservation.disputedAt?.toISOString() ?? null,
    },
  };
}

function refundStateOf(reservation: Reservation): OperationsView['refund_state'] {
  if (reservation.status === ReservationStatus.REFUNDED) return 'refunded';
  if (reservation.refundState === 'UNKNOWN') return 'outcome_unknown';
  return reservation.refundState === 'REQUESTED' ? 'requested' : 'none';
}
