import { ConfigModule } from '@nestjs/config';
import { adminConfig, databaseConfig, httpConfig, idempotencyConfig, loggingConfig, metricsConfig } from './configuration';
import { parseEnvironment } from './environment';

export * from './configuration';
export * from './environment';

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
