import { Command, CommandRunner, Option } from 'nest-commander';
import { AuditLog, cliActor, Clock } from '@app/core';
import { RequeueOutboxEventHandler } from '../admin/requeue-outbox-event.handler';
import { OutboxStatus } from '../outbox-event.entity';
import { OutboxRepository } from '../outbox.repository';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

@Command({ name: 'outbox:stats', description: 'Outbox backlog by status and type, and the age of the oldest due event' })
export class OutboxStatsCommand extends CommandRunner {
  constructor(
    private readonly repository: OutboxRepository,
    private readonly clock: Clock,
  ) {
    super();
  }

  async run(): Promise<void> {
    print(await this.repository.stats(this.clock.now()));
  }
}

@Command({ name: 'outbox:list', description: 'Outbox events, newest first' })
export class OutboxListCommand extends CommandRunner {
  constructor(private readonly repository: OutboxRepository) {
    super();
  }

  async run(_args: string[], options: { status?: OutboxStatus; type?: string; limit?: number }): Promise<void> {
    const rows = await this.repository.list({ status: options.status, type: options.type }, { limit: options.limit ?? 50 });
    for (const row of rows) {
      process.stdout.write(
        `${row.id}\t${row.status}\t${row.type}\t${row.aggregateType}:${row.aggregateId}\tattempts=${row.attempts}\t${row.lastError ?? ''}\n`,
      );
    }
  }

  @Option({ flags: '--status <status>', description: 'PENDING, PROCESSING, DONE or DEAD' })
  parseStatus(value: string): OutboxStatus {
    if (!(value in OutboxStatus)) throw new Error(`--status must be one of ${Object.keys(OutboxStatus).join(', ')}`);
    return value as OutboxStatus;
  }

  @Option({ flags: '--type <type>', description: 'Event type, for example SEND_RECEIPT_EMAIL' })
  parseType(value: string): string {
    return value;
  }

  @Option({ flags: '--limit <n>', description: 'How many (default 50)' })
  parseLimit(value: string): number {
    const limit = Number(value);
    if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive integer');
    return limit;
  }
}

@Command({ name: 'outbox:requeue', arguments: '<id>', description: 'Give a DEAD outbox event fresh attempts' })
export class OutboxRequeueCommand extends CommandRunner {
  constructor(
    private readonly requeue: RequeueOutboxEventHandler,
    private readonly audit: AuditLog,
  ) {
    super();
  }

  async run([id]: string[], options: { force?: boolean }): Promise<void> {
    const eventId = Number(id);
    if (!Number.isInteger(eventId)) throw new Error('<id> must be an outbox event id');
    const actor = cliActor();
    const event = await this.audit.around({ actor, action: 'admin.outbox.requeue', resourceId: String(eventId) }, () =>
      this.requeue.execute({ id: eventId, force: options.force, actor }),
    );
    process.stdout.write(`Event ${event.id} (${event.type}) is ${event.status} again.\n`);
  }

  @Option({ flags: '--force', description: 'Also requeue a DONE event' })
  parseForce(): boolean {
    return true;
  }
}
