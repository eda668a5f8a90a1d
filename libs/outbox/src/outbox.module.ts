import { Module } from '@nestjs/common';
import { AuditModule } from '@app/core';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxAdminController } from './admin/outbox-admin.controller';
import { RequeueOutboxEventHandler } from './admin/requeue-outbox-event.handler';
import { OutboxListCommand, OutboxRequeueCommand, OutboxStatsCommand } from './cli/outbox.commands';
import { Outbox } from './outbox';
import { OutboxDrainer } from './outbox-drainer';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxHandlerRegistry } from './outbox-handler';
import { outboxConfig } from './outbox.config';
import { OutboxMetrics } from './outbox.metrics';
import { OutboxReadiness } from './outbox.readiness';
import { OutboxRepository } from './outbox.repository';

/**
 * The outbox engine. Slices import it to `enqueue`, and register handlers with
 * `@OutboxHandler(type)`; the drainer runs in every process that has ScheduleModule and
 * OUTBOX_ENABLED (the default).
 */
@Module({
  imports: [AuditModule, DiscoveryModule, ConfigModule.forFeature(outboxConfig), TypeOrmModule.forFeature([OutboxEvent])],
  controllers: [OutboxAdminController],
  providers: [
    Outbox,
    OutboxRepository,
    OutboxHandlerRegistry,
    OutboxDrainer,
    OutboxMetrics,
    OutboxReadiness,
    RequeueOutboxEventHandler,
    OutboxStatsCommand,
    OutboxListCommand,
    OutboxRequeueCommand,
  ],
  exports: [Outbox, OutboxDrainer, OutboxRepository],
})
export class OutboxModule {}
