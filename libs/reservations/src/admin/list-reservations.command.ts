import { Command, CommandRunner, Option } from 'nest-commander';
import { AuditLog, cliActor, positiveInt } from '@app/core';
import { ReservationStatus } from '../domain/reservation-status';
import { ReservationsRepository } from '../reservations.repository';

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
