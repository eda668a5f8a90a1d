import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * Money moved at Stripe outside our own calls (ADR 0016): refunds made in the Dashboard are
 * recorded in `refunded_amount` (already there); a dispute of the charge is kept here:
 * - `dispute_id`, `dispute_status` and `dispute_reason`, as `charge.dispute.*` last reported
 *   them, and `disputed_at`, when we first learnt of it;
 * - `IX_reservations_payment_intent`: a dispute names the PaymentIntent, not the reservation;
 * - `IX_reservations_dispute_status`: the money-safety check lists the disputes operators must act on.
 */
export class StripeMoneyEvents1764000000014 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('reservations', [
      new TableColumn({ name: 'dispute_id', type: 'varchar', length: '255', isNullable: true }),
      new TableColumn({ name: 'dispute_status', type: 'varchar', length: '32', isNullable: true }),
      new TableColumn({ name: 'dispute_reason', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'disputed_at', type: 'datetime', precision: 3, isNullable: true }),
    ]);
    await queryRunner.createIndex(
      'reservations',
      new TableIndex({ name: 'IX_reservations_payment_intent', columnNames: ['payment_intent_id'] }),
    );
    await queryRunner.createIndex(
      'reservations',
      new TableIndex({ name: 'IX_reservations_dispute_status', columnNames: ['dispute_status'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('reservations', 'IX_reservations_dispute_status');
    await queryRunner.dropIndex('reservations', 'IX_reservations_payment_intent');
    await queryRunner.dropColumns('reservations', [
      'disputed_at',
      'dispute_reason',
      'dispute_status',
      'dispute_id',
    ]);
  }
}
