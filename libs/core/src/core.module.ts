import { Global, Module } from '@nestjs/common';
import { ReadinessChecks } from './health/readiness-checks';
import { Metrics } from './metrics/metrics';
import { Clock, SystemClock } from './time/clock';
import { TracingLifecycle } from './tracing/tracing-lifecycle';

/** What every slice may use: the clock, this process's metrics registry, the readiness checks; and the end of tracing at shutdown. */
@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }, Metrics, ReadinessChecks, TracingLifecycle],
  exports: [Clock, Metrics, ReadinessChecks],
})
export class CoreModule {}
