import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';

/** `GET /metrics` for the API; the `Metrics` registry itself is global (CoreModule). */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
