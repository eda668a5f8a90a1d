import { Command, CommandRunner, Option } from 'nest-commander';
import { AuditLog, CLI_ACTOR, cliActor, positiveInt, printJson } from '@app/core';
import { toAdminReservationView } from '@app/reservations';
import { RetrySupplierBookingNowHandler } from './retry-supplier-booking-now.handler';

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
    printJson(toAdminReservationView(reservation));
  }

  @Option({ flags: '--lock-version <n>', description: 'The lock_version you looked at (reservations:list)', required: true })
  parseLockVersion(value: string): number {
    return positiveInt('--lock-version', value);
  }
}
