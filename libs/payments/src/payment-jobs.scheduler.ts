import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ExpireUnpaidReservationsJob } from './expire-unpaid/expire-unpaid-reservations.job';
import { paymentsConfig, PaymentsConfig } from './payments.config';
import { ReconcilePaymentsJob } from './reconcile/reconcile-payments.job';

/** Runs expiry and reconciliation every `PAYMENT_JOBS_INTERVAL_MS`, never two runs at once. */
@Injectable()
export class PaymentJobsScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(PaymentJobsScheduler.name);
  private running = false;

  constructor(
    private readonly expire: ExpireUnpaidReservationsJob,
    private readonly reconcile: ReconcilePaymentsJob,
    private readonly scheduler: SchedulerRegistry,
    @Inject(paymentsConfig.KEY) private readonly config: PaymentsConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.scheduler.addInterval('payment-jobs', setInterval(() => void this.tick(), this.config.jobsIntervalMs));
  }

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.reconcile.run();
      await this.expire.run();
    } catch (error) {
      this.logger.error({ msg: 'payment jobs failed', err: error });
    } finally {
      this.running = false;
    }
  }
}
