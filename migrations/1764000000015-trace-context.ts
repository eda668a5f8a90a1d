import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Traces through the outbox (docs/observability.md). The W3C trace context (JSON of
 * `traceparent` and `tracestate`, at most 512 characters) active when:
 * - an outbox event was enqueued: its handler's span continues that trace;
 * - a reservation was created: the span that applies its payment links to it.
 * Null when tracing is off, and for everything before this release.
 */
export class TraceContext1764000000015 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'outbox_events',
      new TableColumn({ name: 'trace_context', type: 'varchar', length: '512', isNullable: true }),
    );
    await queryRunner.addColumn(
      'reservations',
      new TableColumn({ name: 'trace_context', type: 'varchar', length: '512', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('reservations', 'trace_context');
    await queryRunner.dropColumn('outbox_events', 'trace_context');
  }
}
