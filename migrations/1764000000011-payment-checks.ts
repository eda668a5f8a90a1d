import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * What the reservation remembers so that nothing is left unwatched:
 * - `supplier_rejected_at`: the supplier refused the booking for good (`progress.supplier`
 *   reads `rejected` instead of `retrying`); cleared by a later run that defers or confirms;
 * - `payment_intent_canceled_at`: Stripe cancelled the PaymentIntent. An EXPIRED reservation
 *   without it may still be paid (its intent was processing), and the reconciliation watches it;
 * - `payment_checked_at`: when the reconciliation last read the payment, so that it walks
 *   every waiting reservation in turn instead of the same oldest batch on every run.
 */
export class PaymentChecks1764000000011 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('reservations', [
      new TableColumn({ name: 'supplier_rejected_at', type: 'datetime', precision: 3, isNullable: true }),
      new TableColumn({ name: 'payment_intent_canceled_at', type: 'datetime', precision: 3, isNullable: true }),
      new TableColumn({ name: 'payment_checked_at', type: 'datetime', precision: 3, isNullable: true }),
    ]);
    // Rejections recorded before this release: the booking run wrote "<SUPPLIER> rejected: <code> …".
    await queryRunner.query(
      "UPDATE reservations SET supplier_rejected_at = updated_at WHERE status = 'CONFIRMED_INTERNAL' AND supplier_last_error LIKE '% rejected: %'",
    );
    // Older EXPIRED reservations keep payment_intent_canceled_at NULL: the reconciliation reads
    // each intent once, in batches, and records what Stripe says (a cancel that met `processing`
    // cannot be told apart from one that worked).
    await queryRunner.createIndex(
      'reservations',
      new TableIndex({ name: 'IX_reservations_status_payment_check', columnNames: ['status', 'payment_checked_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('reservations', 'IX_reservations_status_payment_check');
    await queryRunner.dropColumns('reservations', ['supplier_rejected_at', 'payment_intent_canceled_at', 'payment_checked_at']);
  }
}
