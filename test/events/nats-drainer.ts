/**
 * A drainer of lifecycle events in its own OS process, for test/events/nats-chaos.e2e-spec.ts:
 * the real outbox engine and the real LifecycleEventsModule (PublishLifecycleEventHandler,
 * JetStreamLink), nothing else. Configured through the environment (DATABASE_URL, OUTBOX_*,
 * EVENTS_NATS_*); prints "ready" when draining.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { configModule, CoreModule, DatabaseModule } from '@app/core';
import { LifecycleEventsModule } from '@app/lifecycle-events';
import { OutboxModule } from '@app/outbox';

@Module({
  imports: [
    configModule(),
    CoreModule,
    DatabaseModule.forRoot({ migrations: [] }),
    ScheduleModule.forRoot(),
    OutboxModule,
    LifecycleEventsModule,
  ],
})
class NatsDrainerModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(NatsDrainerModule, { logger: ['error'] });
  app.enableShutdownHooks();
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`nats drainer failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
