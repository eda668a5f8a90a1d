import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Authorize, book, then capture (`PAYMENT_CAPTURE=after_supplier_confirmation`, ADR 0015).
 * What a reservation remembers of its hold:
 * - `capture_method`: `automatic` (charged at once) or `manual` (held), as its PaymentIntent
 *   was created; every reservation before this release was charged at once;
 * - `authorized_at` and `capture_before`: when the hold was placed, and Stripe's deadline for
 *   capturing it (`charge.payment_method_details.card.capture_before`; null until known);
 * - `capture_requested_at`: a capture was decided (the supplier confirmed, or the deadline
 *   policy): CAPTURE_PAYMENT is in the outbox; `captured_at`: Stripe captured it;
 * - `capture_last_error`: why the last capture did not end it (refused: operators must act);
 * - `released_at`: the hold was given up (the supplier refused, or the deadline policy).
 */
export class PaymentCapture1764000000013 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('reservations', [
      new TableColumn({ name: 'capture_method', type: 'varchar', length: '16', default: "'automatic'" }),
      new TableColumn({ name: 'authorized_at', type: 'datetime', precision: 3, isNullable: true }),
      new TableColumn({ name: 'capture_before', type: 'datetime', precision: 3, isNullable: true }),
      new TableColumn({ name: 'capture_requested_at', type: 'datetime', precision: 3, isNullable: true }),
      new TableColumn({ name: 'captured_at', type: 'datetime', precision: 3, isNullable: true }),
      new TableColumn({ name: 'capture_last_error', type: 'varchar', length: '500', isNullable: true }),
      new TableColumn({ name: 'released_at', type: 'datetime', precision: 3, isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('reservations', [
      'released_at',
      'capture_last_error',
      'captured_at',
      'capture_requested_at',
      'capture_before',
      'authorized_at',
      'capture_method',
    ]);
  }
}
