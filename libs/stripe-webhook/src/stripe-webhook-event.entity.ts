import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Every Stripe event received, once: its id is the key, so a redelivery cannot apply twice. */
@Entity({ name: 'stripe_webhook_events' })
export class StripeWebhookEvent {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 255 })
  eventId!: string;

  @Column({ type: 'varchar', length: 100 })
  type!: string;

  @Column({ name: 'payment_intent_id', type: 'varchar', length: 255, nullable: true })
  paymentIntentId!: string | null;

  @Column({ name: 'reservation_code', type: 'varchar', length: 8, nullable: true })
  reservationCode!: string | null;

  /** applied, ignored, unknown_reservation, ignored_type, not_ours. */
  @Column({ type: 'varchar', length: 32 })
  outcome!: string;

  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt!: Date;
}
