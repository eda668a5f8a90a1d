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

/** Registers a provider as the handler of an event type; found through Nest's discovery. */
export const OutboxHandler = (type: string): ClassDecorator => SetMetadata(OUTBOX_HANDLER, type);

/** Event type → its handler, collected once at start-up. */
@Injectable()
export class OutboxHandlerRegistry {
  private handlers?: Map<string, OutboxEventHandler>;

  constructor(private readonly discovery: DiscoveryService) {}

  get(type: string): OutboxEventHandler | undefined {
    return this.all().get(type);
  }

  types(): string[] {
    return [...this.all().keys()].sort();
  }

  private all(): Map<string, OutboxEventHandler> {
    if (this.handlers) return this.handlers;
    const handlers = new Map<string, OutboxEventHandler>();
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype) continue;
      const type = Reflect.getMetadata(OUTBOX_HANDLER, metatype) as string | undefined;
      if (!type) continue;
      const existing = handlers.get(type);
      if (existing && existing !== instance) {
        throw new Error(`Two outbox handlers for ${type}: ${existing.constructor.name} and ${metatype.name}.`);
      }
      handlers.set(type, instance as OutboxEventHandler);
    }
    this.handlers = handlers;
    return handlers;
  }
}
