import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Clock } from '../time/clock';
import { IdempotencyRepository } from './idempotency.repository';

const BATCH = 1_000;

/** Forgets idempotency keys past their retention (24 h by default), in small batches. */
@Injectable()
export class IdempotencyCleanupJob {
  private readonly logger = new Logger(IdempotencyCleanupJob.name);

  constructor(
    private readonly repository: IdempotencyRepository,
    private readonly clock: Clock,
  ) {}

  @Cron(CronExpression.EVERY_10_MINUTES, { name: 'idempotency-cleanup' })
  async run(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.repository.deleteExpired(this.clock.now(), BATCH);
      total += deleted;
      if (deleted < BATCH) break;
    }
    if (total > 0) this.logger.log({ msg: 'expired idempotency keys deleted', deleted: total });
    return total;
  }
}
