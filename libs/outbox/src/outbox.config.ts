import { registerAs } from '@nestjs/config';
import { parseEnvironment } from '@app/core';

export const outboxConfig = registerAs('outbox', () => {
  const env = parseEnvironment();
  const leaseMs = env.OUTBOX_LEASE_MS ?? 30_000;
  return {
    /** Off in processes that only serve HTTP; any number of processes may drain. */
    enabled: env.OUTBOX_ENABLED ?? true,
    pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS ?? 1000,
    batchSize: env.OUTBOX_BATCH_SIZE ?? 100,
    /** Handlers running at once in each lane of this process (ADR 0014). */
    concurrency: env.OUTBOX_CONCURRENCY ?? 16,
    /** A lane's own figure, over `concurrency`: `OUTBOX_LANE_CONCURRENCY=bookings=32,mail=4`. */
    laneConcurrency: parseLaneConcurrency(env.OUTBOX_LANE_CONCURRENCY),
    maxAttempts: env.OUTBOX_MAX_ATTEMPTS ?? 10,
    backoffBaseMs: env.OUTBOX_BACKOFF_BASE_MS ?? 1000,
    backoffMaxMs: env.OUTBOX_BACKOFF_MAX_MS ?? 5 * 60_000,
    leaseMs,
    /** A handler still running after this is reported as failed; its lease outlives it. */
    handlerTimeoutMs: Math.floor(leaseMs * 0.8),
    shutdownTimeoutMs: env.OUTBOX_SHUTDOWN_TIMEOUT_MS ?? 10_000,
    /**
     * `GET /health/ready` always reports the age of the oldest due event; above this many
     * seconds it answers 503. 0 (the default): never, since taking every instance out of the
     * balancer does not drain a backlog; alert on `outbox_oldest_due_age_seconds` instead.
     */
    readyMaxLagSeconds: env.OUTBOX_READY_MAX_LAG_SECONDS ?? 0,
  };
});

function parseLaneConcurrency(text: string | undefined): Record<string, number> {
  const lanes: Record<string, number> = {};
  for (const pair of text?.split(',') ?? []) {
    const [lane, concurrency] = pair.trim().split('=');
    lanes[lane] = Number(concurrency);
  }
  return lanes;
}

export type OutboxConfig = ReturnType<typeof outboxConfig>;
