import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OutboxEvent, OutboxStatus } from './outbox-event.entity';

export class OutboxEventView {
  @ApiProperty({ example: 42 }) id!: number;
  @ApiProperty({ example: 'SEND_RECEIPT_EMAIL' }) type!: string;
  @ApiProperty({ example: 'reservation' }) aggregate_type!: string;
  @ApiProperty({ example: 'K7M2Q9XD' }) aggregate_id!: string;
  @ApiProperty({ enum: OutboxStatus }) status!: OutboxStatus;
  @ApiProperty({ example: 3 }) attempts!: number;
  @ApiPropertyOptional({ nullable: true }) next_attempt_at!: string | null;
  @ApiPropertyOptional({ nullable: true }) lease_owner!: string | null;
  @ApiPropertyOptional({ nullable: true }) lease_expires_at!: string | null;
  @ApiPropertyOptional({ nullable: true, example: 'Error: SMTP connection refused' }) last_error!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
  @ApiPropertyOptional({ nullable: true }) processed_at!: string | null;
}

export function toOutboxEventView(event: OutboxEvent): OutboxEventView {
  return {
    id: event.id,
    type: event.type,
    aggregate_type: event.aggregateType,
    aggregate_id: event.aggregateId,
    status: event.status,
    attempts: event.attempts,
    next_attempt_at: event.nextAttemptAt?.toISOString() ?? null,
    lease_owner: event.leaseOwner,
    lease_expires_at: event.leaseExpiresAt?.toISOString() ?? null,
    last_error: event.lastError,
    created_at: event.createdAt.toISOString(),
    updated_at: event.updatedAt.toISOString(),
    processed_at: event.processedAt?.toISOString() ?? null,
  };
}
