import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/** The reservation's PaymentIntent details, and every Stripe event we received (once each). */
export class Payments1764000000005 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('reservations', [
      new TableColumn({ name: 'payment_client_secret', type: 'varchar', length: '255', isNullable: true }),
      new TableColumn({ name: 'payment_failure_message', type: 'varchar', length: '500', isNullable: true }),
    ]);
    // What the expiry job sweeps: unpaid reservations by age.
    await queryRunner.createIndex(
      'reservations',
      new TableIndex({ name: 'IX_reservations_status_created_at', columnNames: ['status', 'created_at'] }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'stripe_webhook_events',
        columns: [
          // Stripe's event id: a second delivery of one event cannot insert twice.
          { name: 'event_id', type: 'varchar', length: '255', isPrimary: true },
          { name: 'type', type: 'varchar', length: '100' },
          { name: 'payment_intent_id', type: 'varchar', length: '255', isNullable: true },
          { name: 'reservation_code', type: 'varchar', length: '8', isNullable: true },
          { name: 'outcome', type: 'varchar', length: '32' },
          { name: 'received_at', type: 'datetime', precision: 3 },
        ],
        indices: [{ name: 'IX_stripe_webhook_events_reservation', columnNames: ['reservation_code'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('stripe_webhook_events');
    await queryRunner.dropIndex('reservations', 'IX_reservations_status_created_at');
    await queryRunner.dropColumns('reservations', ['payment_client_secret', 'payment_failure_message']);
  }
}
