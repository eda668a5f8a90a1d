import { ConfigModule } from '@nestjs/config';
import { adminConfig, databaseConfig, httpConfig, idempotencyConfig, loggingConfig, metricsConfig } from './configuration';
import { parseEnvironment } from './environment';

export {
  adminConfig,
  auditConfig,
  databaseConfig,
  httpConfig,
  idempotencyConfig,
  loggingConfig,
  metricsConfig,
  rateLimitConfig,
} from './configuration';
export type {
  AdminConfig,
  AuditConfig,
  DatabaseConfig,
  HttpConfig,
  IdempotencyConfig,
  LoggingConfig,
  MetricsConfig,
  RateLimitConfig,
} from './configuration';
export { CONFIGURATION_ERROR_EXIT_CODE, InvalidEnvironmentError, parseEnvironment } from './environment';

/** The application's configuration: `.env` (if present) plus the environment, validated at boot. */
export function configModule() {
  return ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: process.env.NODE_ENV === 'test',
    load: [httpConfig, databaseConfig, loggingConfig, idempotencyConfig, adminConfig, metricsConfig],
    validate: (raw) => {
      parseEnvironment(raw);
      return raw;
    },
  });
}
