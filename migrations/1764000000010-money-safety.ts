import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Money safety under ambiguous outcomes:
 * - what is known of a refund (requested, outcome unknown) and why, so that a refund whose
 *   answer was lost stays pending and blocks booking until the outbox settles it;
 * - the fingerprint of the request that created a reservation, so that an Idempotency-Key
 *   reused after its retention with another body is refused instead of answered with someone
 *   else's reservation.
 */
export class MoneySafety1764000000010 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('reservations', [
      new TableColumn({ name: 'refund_state', type: 'varchar', length: '16', isNullable: true }),
      new TableColumn({ name: 'refund_last_error', type: 'varchar', length: '500', isNullable: true }),
      new TableColumn({ name: 'idempotency_fingerprint', type: 'varchar', length: '64', isNullable: true }),
    ]);
    // A refund under way before this release is one whose outcome we do not know.
    await queryRunner.query("UPDATE reservations SET refund_state = 'UNKNOWN' WHERE refund_requested_at IS NOT NULL AND status <> 'REFUNDED'");
    // Keys still kept tell which request created their reservation; older ones stay unknown (refused on reuse).
    await queryRunner.query(
      'UPDATE reservations SET idempotency_fingerprint = (SELECT k.request_hash FROM idempotency_keys k ' +
        "WHERE k.idempotency_key = reservations.idempotency_key AND k.scope = 'POST /api/v1/reservations') " +
        'WHERE idempotency_key IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('reservations', 'idempotency_fingerprint');
    await queryRunner.dropColumn('reservations', 'refund_last_error');
    await queryRunner.dropColumn('reservations', 'refund_state');
  }
}
