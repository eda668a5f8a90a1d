import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ReadinessChecks } from './readiness-checks';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly checks: ReadinessChecks,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers.' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database answers, and how late the outbox is (503 when not ready).' })
  ready() {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 1500 }), ...this.checks.all()]);
  }
}
