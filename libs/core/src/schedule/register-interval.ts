import { Logger } from '@nestjs/common';
import { registerAs } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { parseEnvironment } from '../config/environment';

/**
 * Whether this process does background work (scheduled checks, like the outbox drainer): where
 * the outbox runs, OUTBOX_ENABLED (on by default; off in the CLI and in HTTP-only processes).
 */
export const backgroundConfig = registerAs('background', () => ({
  enabled: parseEnvironment().OUTBOX_ENABLED ?? true,
}));

export type BackgroundConfig = ReturnType<typeof backgroundConfig>;

/**
 * Runs `tick` every `everyMs` through @nestjs/schedule's registry (so it is listed, and cleared
 * at shutdown), never two runs at once: a tick still running when the next is due is skipped.
 * A failure is logged; the next tick tries again.
 */
export function registerInterval(
  registry: SchedulerRegistry,
  name: string,
  everyMs: number,
  tick: () => Promise<unknown>,
  logger: Logger,
): void {
  let running = false;
  const guarded = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      await tick();
    } catch (error) {
      logger.error({ msg: `${name} failed`, err: error });
    } finally {
      running = false;
    }
  };
  registry.addInterval(name, setInterval(() => void guarded(), everyMs));
}
