import { Command, CommandRunner, Option } from 'nest-commander';
import { ADMIN_ACTOR, AuditLog, cliActor } from '@app/core';
import { ReservationsRepository, ReservationStatus, toAdminReservationView } from '@app/reservations';
import { MoneySafetyCheck } from './money-safety.check';
import { RefundReservationHandler } from './refund-reservation.handler';
import { RetrySupplierBookingNowHandler } from './retry-supplier-booking-now.handler';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
const CLI_ACTOR = `${ADMIN_ACTOR}:cli`;

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`);
  return n;
}

@Command({ name: 'reservations:list', description: 'Reservations, newest first, by status and attention flag' })
export class ListReservationsCommand extends CommandRunner {
  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly audit: AuditLog,
  ) {
    super();
  }

  async run(_args: string[], options: { status?: ReservationStatus; needsAttention?: boolean; limit?: number }): Promise<void> {
    const rows = await this.audit.around({ actor: cliActor(), action: 'admin.reservations.list' }, () =>
      this.reservations.listForOperators({ status: options.status, needsAttention: options.needsAttention }, { limit: options.limit ?? 50 }),
    );
    for (const r of rows) {
      process.stdout.write(
        `${r.code}\t${r.status}\t${r.supplierCode}\tlock_version=${r.lockVersion}\tattention=${r.needsAttention}\tattempts=${r.supplierAttempts}\t` +
          `${r.refundState === 'UNKNOWN' ? 'refund outcome unknown\t' : ''}${r.supplierLastError ?? ''}\n`,
      );
    }
  }

  @Option({ flags: '--status <status>', description: 'A reservation status, for example CONFIRMED_INTERNAL' })
  parseStatus(value: string): ReservationStatus {
    if (!(value in ReservationStatus)) throw new Error(`--status must be one of ${Object.keys(ReservationStatus).join(', ')}`);
    return value as ReservationStatus;
  }

  @Option({ flags: '--needs-attention <flag>', description: 'true or false' })
  parseNeedsAttention(value: string): boolean {
    if (value !== 'true' && value !== 'false') throw new Error('--needs-attention must be true or false');
    return value === 'true';
  }

  @Option({ flags: '--limit <n>', description: 'How many (default 50)' })
  parseLimit(value: string): number {
    return positiveInt('--limit', value);
  }
}

@Command({
  name: 'reservations:retry-booking',
  arguments: '<code>',
  description: 'Book a PAID or CONFIRMED_INTERNAL reservation with its supplier now',
})
export class RetryBookingCommand extends CommandRunner {
  constructor(
    private readonly retryNow: RetrySupplierBookingNowHandler,
    private readonly audit: AuditLog,
  ) {
    super();
  }

  async run([code]: string[], options: { lockVersion: number }): Promise<void> {
    const reservationCode = code.toUpperCase();
    const reservation = await this.audit.around({ actor: cliActor(), action: 'admin.reservation.retry_booking', resourceId: reservationCode }, () =>
      this.retryNow.execute({ reservationCode, lockVersion: options.lockVersion, actor: CLI_ACTOR }),
    );
    print(toAdminReservationView(reservation));
  }

  @Option({ flags: '--lock-version <n>', description: 'The lock_version you looked at (reservations:list)', required: true })
  parseLockVersion(value: string): number {
    return positiveInt('--lock-version', value);
  }
}

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
    print(toAdminReservationView(reservation));
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

@Command({ name: 'money-safety', description: 'Paid reservations with neither a supplier confirmation nor a refund' })
export class MoneySafetyCommand extends CommandRunner {
  constructor(
    private readonly check: MoneySafetyCheck,
    private readonly audit: AuditLog,
  ) {
    super();
  }

  async run(_args: string[], options: { olderThan?: number }): Promise<void> {
    const report = await this.audit.around({ actor: cliActor(), action: 'admin.money_safety.read' }, () => this.check.run(options.olderThan));
    print(report);
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
