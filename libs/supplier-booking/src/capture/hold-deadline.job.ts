import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { BackgroundConfig, backgroundConfig, Clock, registerInterval, retryLostRaces, TransactionRunner } from '@app/core';
import { Outbox } from '@app/outbox';
import { PaymentGateway, paymentsConfig, PaymentsConfig } from '@app/payments';
import { Reservation, ReservationsRepository } from '@app/reservations';
import { CAPTURE_PAYMENT, ISSUE_RECEIPT, reservationEvent } from '../booking-events';
import { enqueueRelease } from './hold.handlers';

const BATCH = 100;

export interface HoldDeadlineRun {
  /** Deadlines read from Stripe (the hold's charge). */
  learnt: number;
  captured: number;
  released: number;
}

/**
 * Watches the holds no capture is decided for yet (`PAYMENT_CAPTURE=after_supplier_confirmation`,
 * the supplier has not booked). It learns each hold's deadline from its charge
 * (`capture_before`; the webhook carries the charge only as an id), and
 * PAYMENT_CAPTURE_MARGIN_HOURS before it applies PAYMENT_CAPTURE_DEADLINE_POLICY: `capture`
 * takes the money and booking goes on (the refund path stays the fallback), `release` gives the
 * hold up (RELEASED, nothing charged). Every PAYMENT_JOBS_INTERVAL_MS where background work runs.
 */
@Injectable()
export class HoldDeadlineJob implements OnApplicationBootstrap {
  private readonly logger = new Logger('HoldDeadline');

  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly payments: PaymentGateway,
    private readonly transactions: TransactionRunner,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    @Inject(paymentsConfig.KEY) private readonly config: PaymentsConfig,
    @Inject(backgroundConfig.KEY) private readonly background: BackgroundConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.background.enabled) return;
    registerInterval(this.scheduler, 'hold-deadlines', this.config.jobsIntervalMs, () => this.run().then(() => undefined), this.logger);
  }

  async run(): Promise<HoldDeadlineRun> {
    const result: HoldDeadlineRun = { learnt: 0, captured: 0, released: 0 };
    const marginMs = this.config.capture.marginHours * 3_600_000;
    for (const held of await this.reservations.findHeldUndecided(BATCH)) {
      let deadline = held.captureBefore;
      if (!deadline) {
        deadline = (await this.payments.retrievePaymentIntent(held.paymentIntentId!, { charge: true }).catch(() => null))?.captureBefore ?? null;
        if (!deadline) continue;
        result.learnt++;
      }
      const due = deadline.getTime() - marginMs <= this.clock.now().getTime();
      const decided = await this.decide(held.code, deadline, due);
      if (decided === 'capture') result.captured++;
      if (decided === 'release') result.released++;
    }
    if (result.captured + result.released > 0) this.logger.warn({ msg: 'holds near their deadline acted upon', policy: this.config.capture.deadlinePolicy, ...result });
    return result;
  }

  /** Records the deadline and, when it is near, the policy's decision, with its outbox events, in one transaction. */
  private decide(code: string, deadline: Date, due: boolean): Promise<'capture' | 'release' | 'none'> {
    return retryLostRaces.execute(() =>
      this.transactions.run(async (manager) => {
        const reservation = (await this.reservations.findByCode(code, manager))!;
        if (!reservation.held || reservation.captureRequestedAt) return 'none';
        const now = this.clock.now();
        const learnt = reservation.captureBefore === null;
        reservation.captureBefore ??= deadline;
        let decided: 'capture' | 'release' | 'none' = 'none';
        if (due) decided = this.config.capture.deadlinePolicy === 'release' ? this.release(reservation, now) : this.capture(reservation, now);
        if (decided === 'none' && !learnt) return 'none';
        if (decided === 'capture') await this.outbox.enqueue(manager, reservationEvent(CAPTURE_PAYMENT, code));
        if (decided === 'release') {
          await enqueueRelease(this.outbox, manager, reservation, now);
          await this.outbox.enqueue(manager, { ...reservationEvent(ISSUE_RECEIPT, code), parkUntilHandled: true });
        }
        await this.reservations.saveChanges(manager, reservation, now);
        return decided;
      }),
    );
  }

  private capture(reservation: Reservation, now: Date): 'capture' | 'none' {
    return reservation.requestCaptureBeforeDeadline(now) ? 'capture' : 'none';
  }

  /** Nothing to book any more; a receipt issued while it was held gets a version saying nothing was charged (ISSUE_RECEIPT decides). */
  private release(reservation: Reservation, now: Date): 'release' | 'none' {
    return reservation.releaseHold('hold deadline near: released (PAYMENT_CAPTURE_DEADLINE_POLICY=release)', now) ? 'release' : 'none';
  }
}
