import { Command, CommandRunner, Option } from 'nest-commander';
import { AuditLog, CLI_ACTOR, cliActor, positiveInt, printJson } from '@app/core';
import { toAdminReservationView } from '@app/reservations';
import { RefundReservationHandler } from './refund-reservation.handler';

@Command({ name: 'reservations:refund', arguments: '<code>', description: 'Refund a CONFIRMED_INTERNAL reservation (→ REFUNDED)' })
export class RefundCommand extends CommandRunner {
  constructor(
    private readonly refunds: RefundReservationHandler,
    private readonly audit: AuditLog,
  ) {
    super();
  }

  async run([code]: string[], options: { lockVersion: number; reason: string }): Promise<void> {
    const reservationCode = code.toUpperCase();
    const { reservation, pending } = await this.audit.around(
      { actor: cliActor(), action: 'admin.reservation.refund', resourceId: reservationCode },
      () => this.refunds.execute({ reservationCode, lockVersion: options.lockVersion, reason: options.reason, actor: CLI_ACTOR }),
    );
    if (pending) process.stderr.write(`Refund outcome unknown: it stays pending and is settled through the outbox (repeat it safely).\n`);
    printJson(toAdminReservationView(reservation));
  }

  @Option({ flags: '--lock-version <n>', description: 'The lock_version you looked at (reservations:list)', required: true })
  parseLockVersion(value: string): number {
    return positiveInt('--lock-version', value);
  }

  @Option({ flags: '--reason <text>', description: 'Why (kept in the status history)', required: true })
  parseReason(value: string): string {
    if (value.trim().length < 3 || value.length > 200) throw new Error('--reason must be 3 to 200 characters');
    return value;
  }
}
