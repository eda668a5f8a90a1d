import { Command, CommandRunner, Option } from 'nest-commander';
import { DEFAULT_PAGE_LIMIT } from '../http/page-query';
import { AuditLog, cliActor } from './audit-log';

/** `audit:list`: the audit log for operators at a shell, newest first, one entry a line. */
@Command({ name: 'audit:list', description: 'Audit log entries, newest first (reads of personal data and operator actions)' })
export class AuditListCommand extends CommandRunner {
  constructor(private readonly audit: AuditLog) {
    super();
  }

  async run(_args: string[], options: { resource?: string; action?: string; actor?: string; limit?: number }): Promise<void> {
    const filter = { resourceId: options.resource?.toUpperCase(), action: options.action, actor: options.actor, limit: options.limit ?? DEFAULT_PAGE_LIMIT };
    const entries = await this.audit.around({ actor: cliActor(), action: 'admin.audit.read' }, () => this.audit.list(filter));
    for (const entry of entries) {
      const fields = [entry.id, entry.occurredAt.toISOString(), entry.actor, entry.clientIp ?? '-', entry.action, entry.resourceId ?? '-', entry.outcome, entry.requestId ?? '-'];
      process.stdout.write(`${fields.join('\t')}\n`);
    }
  }

  @Option({ flags: '--resource <id>', description: 'A reservation code (any case) or an outbox event id' })
  parseResource(value: string): string {
    return value;
  }

  @Option({ flags: '--action <action>', description: 'For example reservation.read or admin.reservation.refund' })
  parseAction(value: string): string {
    return value;
  }

  @Option({ flags: '--actor <actor>', description: 'For example customer, admin:alice or cli:root' })
  parseActor(value: string): string {
    return value;
  }

  @Option({ flags: '--limit <n>', description: 'How many (default 50, at most 500)' })
  parseLimit(value: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 500) throw new Error('--limit must be a whole number from 1 to 500');
    return n;
  }
}
