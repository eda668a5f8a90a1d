import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { BearerToken } from '../admin/bearer-token';
import { metricsConfig, MetricsConfig } from '../config';
import { DomainError } from '../errors';
import { Metrics } from './metrics';

export class MetricsUnauthorizedError extends DomainError {
  readonly code = 'AUTH.UNAUTHORIZED';
  readonly kind = 'unauthorized' as const;
  constructor() {
    super('The metrics need `Authorization: Bearer <METRICS_TOKEN>`.');
  }
}

/** Prometheus scrapes `GET /metrics` (outside `/api/v1`, like the health probes). */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  private readonly token?: BearerToken;

  constructor(
    private readonly metrics: Metrics,
    @Inject(metricsConfig.KEY) config: MetricsConfig,
  ) {
    this.token = config.token ? new BearerToken(config.token) : undefined;
  }

  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() response: Response): Promise<void> {
    if (this.token && !this.token.matches(authorization)) throw new MetricsUnauthorizedError();
    const text = await this.metrics.scrape();
    response.type(this.metrics.registry.contentType).setHeader('Cache-Control', 'no-store');
    response.send(text);
  }
}
