import { Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ThrottlerModule, ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { rateLimitConfig, RateLimitConfig } from '../config';
import { MemoryThrottlerStorage } from './memory-throttler-storage';

const MINUTE_MS = 60_000;
/** How long a starting process waits for Redis before it serves with limits let through. */
const REDIS_READY_WAIT_MS = 3000;

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
          : new MemoryThrottlerStorage(),
      }),
    }),
  ],
})
export class RateLimitModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');

  constructor(@Inject(ThrottlerStorage) private readonly storage: ThrottlerStorage) {}

  /** Redis connected before the first request, so that the first requests are counted too. */
  async onModuleInit(): Promise<void> {
    if (!(this.storage instanceof ThrottlerStorageRedisService)) return;
    const redis = this.storage.redis;
    if (redis.status === 'ready') return;
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => redis.once('ready', () => resolve(true))),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), REDIS_READY_WAIT_MS).unref()),
    ]);
    if (!ready) this.logger.warn({ msg: 'Redis not ready; rate limits are let through until it is' });
  }

  onApplicationShutdown(): void {
    if (this.storage instanceof ThrottlerStorageRedisService) this.storage.onModuleDestroy();
    if (this.storage instanceof MemoryThrottlerStorage) this.storage.onApplicationShutdown();
  }
}
