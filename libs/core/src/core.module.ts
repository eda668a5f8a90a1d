import { Global, Module } from '@nestjs/common';
import { ReadinessChecks } from './health/readiness-checks';
import { Metrics } from './metrics/metrics';
import { Clock, SystemClock } from './time/clock';

/** What every slice may use: the clock, this process's metrics registry, the readiness checks. */
@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }, Metrics, ReadinessChecks],
  exports: [Clock, Metrics, ReadinessChecks],
})
export class CoreModule {}
