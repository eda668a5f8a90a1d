import { Injectable, SetMetadata } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';

export interface OutboxMessage<P = unknown> {
  id: number;
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: P;
  /** 1 on the first run. */
  attempt: number;
  createdAt: Date;
}

export interface OutboxHandlerContext {
  /** The lease this run holds; after it, another drainer may run the event again. */
  leaseExpiresAt: Date;
  leaseOwner: string;
  /** Aborted when the run exceeds its time limit: stop early if you can. */
  signal: AbortSignal;
}

/**
 * Does the work of one event type. Runs at least once per event, so it must be idempotent;
 * say in one comment line why it is.
 */
export interface OutboxEventHandler<P = unknown> {
  handle(message: OutboxMessage<P>, context: OutboxHandlerContext): Promise<void>;
}

const OUTBOX_HANDLER = Symbol('outbox-handler');

/** The lane of a type whose handler names none, and of events parked without a handler. */
export const DEFAULT_LANE = 'default';

/** Lane names: what `OUTBOX_LANE_CONCURRENCY` and the metrics print. */
const LANE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export interface OutboxHandlerOptions {
  /**
   * The lane its events are claimed in (ADR 0014): a lane has its own claim and concurrency,
   * so a backlog in one never delays another. Group types by the resource they wait on.
   */
  lane?: string;
}

/** Registers a provider as the handler of an event type; found through Nest's discovery. */
export const OutboxHandler = (type: string, options: OutboxHandlerOptions = {}): ClassDecorator => {
  const lane = options.lane ?? DEFAULT_LANE;
  if (!LANE_NAME.test(lane)) throw new Error(`Outbox lane "${lane}" of ${type}: use lower-case letters, digits and "-".`);
  return SetMetadata(OUTBOX_HANDLER, { type, lane });
};

interface Registered {
  handler: OutboxEventHandler;
  lane: string;
}

/** Event type → its handler and lane, collected once at start-up. */
@Injectable()
export class OutboxHandlerRegistry {
  private handlers?: Map<string, Registered>;

  constructor(private readonly discovery: DiscoveryService) {}

  get(type: string): OutboxEventHandler | undefined {
    return this.all().get(type)?.handler;
  }

  /** The lane of a handled type; undefined when no handler here knows it. */
  laneOf(type: string): string | undefined {
    return this.all().get(type)?.lane;
  }

  types(): string[] {
    return [...this.all().keys()].sort();
  }

  /** Lane → the types handled in it, lanes in name order. */
  lanes(): Map<string, string[]> {
    const lanes = new Map<string, string[]>();
    for (const type of this.types()) {
      const lane = this.laneOf(type)!;
      lanes.set(lane, [...(lanes.get(lane) ?? []), type]);
    }
    return new Map([...lanes].sort(([a], [b]) => a.localeCompare(b)));
  }

  private all(): Map<string, Registered> {
    if (this.handlers) return this.handlers;
    const handlers = new Map<string, Registered>();
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype) continue;
      const registration = Reflect.getMetadata(OUTBOX_HANDLER, metatype) as { type: string; lane: string } | undefined;
      if (!registration) continue;
      const existing = handlers.get(registration.type);
      if (existing && existing.handler !== instance) {
        throw new Error(`Two outbox handlers for ${registration.type}: ${existing.handler.constructor.name} and ${metatype.name}.`);
      }
      handlers.set(registration.type, { handler: instance as OutboxEventHandler, lane: registration.lane });
    }
    this.handlers = handlers;
    return handlers;
  }
}
