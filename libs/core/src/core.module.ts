import { Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './time/clock';

/** Ports with one production adapter that every slice may use. */
@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }],
  exports: [Clock],
})
export class CoreModule {}
