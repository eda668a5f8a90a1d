import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** Receipts: who is sending a version's e-mail, and when it was sent (once per version). */
export class ReceiptEmails1764000000008 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('receipts', [
      new TableColumn({ name: 'email_claimed_until', type: 'datetime', precision: 3, isNullable: true }),
      new TableColumn({ name: 'emailed_at', type: 'datetime', precision: 3, isNullable: true }),
      new TableColumn({ name: 'email_message_id', type: 'varchar', length: '255', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('receipts', ['email_claimed_until', 'emailed_at', 'email_message_id']);
  }
}
