import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ThrottlerModule, ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { rateLimitConfig, RateLimitConfig } from '../config';

const MINUTE_MS = 60_000;

/** The rate limits of the API (`@RateLimit('create' | 'lookup')` on routes), in memory or in Redis. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [ConfigModule.forFeature(rateLimitConfig)],
      inject: [rateLimitConfig.KEY],
      useFactory: (config: RateLimitConfig) => ({
        throttlers: [
          { name: 'create', ttl: MINUTE_MS, limit: config.createPerMinute },
          { name: 'lookup', ttl: MINUTE_MS, limit: config.lookupPerMinute },
        ],
        storage: config.redisUrl
          ? new ThrottlerStorageRedisService(config.redisUrl, {
              keyPrefix: config.redisPrefix,
              // Fail fast while Redis is away (the guard then lets requests through).
              enableOfflineQueue: false,
              maxRetriesPerRequest: 1,
              connectTimeout: 2000,
            })
          : undefined,
      }),
    }),
  ],
})
export class RateLimitModule implements OnApplicationShutdown {
  constructor(@Inject(ThrottlerStorage) private readonly storage: ThrottlerStorage) {}

  onApplicationShutdown(): void {
    if (this.storage instanceof ThrottlerStorageRedisService) this.storage.onModuleDestroy();
  }
}
