import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * Lanes in the outbox (ADR 0014): each event belongs to the lane of its type's handler, and each
 * lane is claimed on its own, through `(lane, next_attempt_at, id)`. Rows written before this
 * release land in `default`; the drainer moves every unfinished row to its handler's lane at start.
 */
export class OutboxLanes1764000000012 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('outbox_events', new TableColumn({ name: 'lane', type: 'varchar', length: '32', default: "'default'" }));
    await queryRunner.createIndex(
      'outbox_events',
      new TableIndex({ name: 'IX_outbox_events_lane_due', columnNames: ['lane', 'next_attempt_at', 'id'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('outbox_events', 'IX_outbox_events_lane_due');
    await queryRunner.dropColumn('outbox_events', 'lane');
  }
}
