import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { registerInterval } from '@app/core';
import { ExpireUnpaidReservationsJob } from './expire-unpaid/expire-unpaid-reservations.job';
import { paymentsConfig, PaymentsConfig } from './payments.config';
import { ReconcilePaymentsJob } from './reconcile/reconcile-payments.job';

/**
 * Runs reconciliation and expiry every `PAYMENT_JOBS_INTERVAL_MS`, never two runs at once, in
 * every process that serves the API (FR-11), not only where the outbox runs.
 */
@Injectable()
export class PaymentJobsScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(PaymentJobsScheduler.name);

  constructor(
    private readonly expire: ExpireUnpaidReservationsJob,
    private readonly reconcile: ReconcilePaymentsJob,
    private readonly scheduler: SchedulerRegistry,
    @Inject(paymentsConfig.KEY) private readonly config: PaymentsConfig,
  ) {}

  onApplicationBootstrap(): void {
    registerInterval(this.scheduler, 'payment-jobs', this.config.jobsIntervalMs, () => this.tick(), this.logger);
  }

  private async tick(): Promise<void> {
    await this.reconcile.run();
    await this.expire.run();
  }
}
