import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, retryLostRaces, TransactionRunner } from '@app/core';
import { Outbox } from '@app/outbox';
import { ReservationsRepository, UNPAID } from '@app/reservations';
import { CANCEL_PAYMENT_INTENT } from '../payment-events';
import { paymentsConfig, PaymentsConfig } from '../payments.config';

const BATCH = 100;

/**
 * Expires reservations still unpaid `RESERVATION_PAYMENT_TTL_MINUTES` after creation and
 * cancels their PaymentIntent through the outbox. A payment that succeeds meanwhile still
 * wins: the webhook moves EXPIRED to PAID, and a cancel that finds the intent succeeded
 * applies that success.
 */
@Injectable()
export class ExpireUnpaidReservationsJob {
  private readonly logger = new Logger(ExpireUnpaidReservationsJob.name);

  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly transactions: TransactionRunner,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    @Inject(paymentsConfig.KEY) private readonly config: PaymentsConfig,
  ) {}

  async run(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.config.paymentTtlMinutes * 60_000);
    const due = await this.reservations.findCreatedBefore(UNPAID, cutoff, BATCH);
    let expired = 0;
    for (const { code } of due) if (await this.expire(code, cutoff)) expired++;
    if (expired > 0) this.logger.log({ msg: 'unpaid reservations expired', expired });
    return expired;
  }

  /** Expires one reservation if it is still unpaid; a lost race reloads and decides again. */
  expire(code: string, cutoff: Date): Promise<boolean> {
    return retryLostRaces.execute(() =>
      this.transactions.run(async (manager) => {
        const reservation = await this.reservations.findByCode(code, manager);
        if (!reservation || reservation.createdAt > cutoff) return false;
        if (!reservation.expireUnpaid('payment window elapsed')) return false;
        if (reservation.paymentIntentId) {
          await this.outbox.enqueue(manager, {
            type: CANCEL_PAYMENT_INTENT,
            aggregateType: 'reservation',
            aggregateId: code,
            payload: { reservationCode: code, paymentIntentId: reservation.paymentIntentId, captureMethod: reservation.captureMethod },
          });
        }
        await this.reservations.saveChanges(manager, reservation, this.clock.now());
        return true;
      }),
    );
  }
}
