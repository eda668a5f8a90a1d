import { Global, Module } from '@nestjs/common';
import { Metrics } from './metrics/metrics';
import { Clock, SystemClock } from './time/clock';

/** What every slice may use: the clock, and this process's metrics registry. */
@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }, Metrics],
  exports: [Clock, Metrics],
})
export class CoreModule {}
