import { Command, CommandRunner, Option } from 'nest-commander';
import { AuditLog, cliActor, printJson } from '@app/core';
import { MoneySafetyCheck } from './money-safety.check';

@Command({ name: 'money-safety', description: 'Reservations with money at risk, each with its problem (paid and not booked, holds, refunds, disputes)' })
export class MoneySafetyCommand extends CommandRunner {
  constructor(
    private readonly check: MoneySafetyCheck,
    private readonly audit: AuditLog,
  ) {
    super();
  }

  async run(_args: string[], options: { olderThan?: number }): Promise<void> {
    const report = await this.audit.around({ actor: cliActor(), action: 'admin.money_safety.read' }, () => this.check.run(options.olderThan));
    printJson(report);
    // Non-zero so that a cron job or a monitor notices.
    if (report.count > 0) process.exitCode = 3;
  }

  @Option({ flags: '--older-than <minutes>', description: 'Age threshold (default MONEY_SAFETY_AGE_MINUTES)' })
  parseOlderThan(value: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error('--older-than must be a whole number of minutes');
    return n;
  }
}
