/**
 * A drainer in its own OS process, for the multi-process outbox tests and `npm run bench:outbox`.
 * Its handlers record every run in `outbox_test_runs` (created by the test):
 *   TEST_RUN    records start, sleeps `payload.sleepMs`, records finish;
 *   BENCH_NOOP  does nothing.
 * Configured through the environment (DATABASE_URL, OUTBOX_*); prints "ready" when draining.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { configModule, CoreModule, DatabaseModule } from '@app/core';
import { OutboxEventHandler, OutboxHandler, OutboxHandlerContext, OutboxMessage, OutboxModule } from '@app/outbox';

@Injectable()
@OutboxHandler('TEST_RUN')
class RecordRunHandler implements OutboxEventHandler<{ sleepMs?: number }> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  // Idempotent as far as the test needs: every run is a row of its own, the test counts them.
  async handle(message: OutboxMessage<{ sleepMs?: number }>, context: OutboxHandlerContext): Promise<void> {
    const result = await this.dataSource.query(
      'INSERT INTO outbox_test_runs (event_id, worker, lease_owner, lease_expires_at, started_at) VALUES (?, ?, ?, ?, ?)',
      [message.id, process.pid, context.leaseOwner, context.leaseExpiresAt, new Date()],
    );
    if (message.payload.sleepMs) await new Promise((resolve) => setTimeout(resolve, message.payload.sleepMs));
    await this.dataSource.query('UPDATE outbox_test_runs SET finished_at = ? WHERE id = ?', [new Date(), result.insertId]);
  }
}

@Injectable()
@OutboxHandler('BENCH_NOOP')
class NoopHandler implements OutboxEventHandler {
  // Idempotent: it does nothing.
  async handle(): Promise<void> {}
}

@Module({
  imports: [
    configModule(),
    CoreModule,
    DatabaseModule.forRoot({ migrations: [] }),
    ScheduleModule.forRoot(),
    OutboxModule,
  ],
  providers: [RecordRunHandler, NoopHandler],
})
class WorkerModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  app.enableShutdownHooks();
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
