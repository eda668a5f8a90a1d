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
  /**
   * The lane's concurrency unless `OUTBOX_LANE_CONCURRENCY` names it (default: `OUTBOX_CONCURRENCY`).
   * A lane of work that is mostly CPU on a shared core (receipts) keeps it low, so that it
   * cannot crowd out the lanes that wait on the network. Handlers of one lane must agree.
   */
  concurrency?: number;
  /**
   * Work that may wait (receipts, mails): the lane claims nothing while a lane that is not
   * background has a backlog (its last claim took a full batch), so that in a burst the cores go
   * to bookings and payments first. Handlers of one lane must agree.
   */
  background?: boolean;
  /**
   * The events of one aggregate run one at a time, in the order they were enqueued (ADR 0017):
   * the lane claims an event only when no earlier event of the same aggregate in the lane is
   * unfinished (pending, running, parked or DEAD), so a DEAD event holds back the later ones of
   * its aggregate until an operator requeues it, and other aggregates flow on. Handlers of one
   * lane must agree.
   */
  ordered?: boolean;
}

/** Registers a provider as the handler of an event type; found through Nest's discovery. */
export const OutboxHandler = (type: string, options: OutboxHandlerOptions = {}): ClassDecorator => {
  const lane = options.lane ?? DEFAULT_LANE;
  if (!LANE_NAME.test(lane)) throw new Error(`Outbox lane "${lane}" of ${type}: use lower-case letters, digits and "-".`);
  return SetMetadata(OUTBOX_HANDLER, {
    type,
    lane,
    concurrency: options.concurrency,
    background: options.background ?? false,
    ordered: options.ordered ?? false,
  });
};

interface Registration {
  type: string;
  lane: string;
  concurrency?: number;
  background: boolean;
  ordered: boolean;
}

interface Registered extends Omit<Registration, 'type'> {
  handler: OutboxEventHandler;
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

  /** The concurrency the handlers of a lane declare, if they do. */
  concurrencyOf(lane: string): number | undefined {
    return [...this.all().values()].find((registered) => registered.lane === lane && registered.concurrency !== undefined)?.concurrency;
  }

  /** Whether the handlers of a lane declare it background. */
  isBackground(lane: string): boolean {
    return [...this.all().values()].some((registered) => registered.lane === lane && registered.background);
  }

  /** Whether the handlers of a lane keep each aggregate's events in order. */
  isOrdered(lane: string): boolean {
    return [...this.all().values()].some((registered) => registered.lane === lane && registered.ordered);
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
      const registration = Reflect.getMetadata(OUTBOX_HANDLER, metatype) as Registration | undefined;
      if (!registration) continue;
      const existing = handlers.get(registration.type);
      if (existing && existing.handler !== instance) {
        throw new Error(`Two outbox handlers for ${registration.type}: ${existing.handler.constructor.name} and ${metatype.name}.`);
      }
      const { lane, concurrency, background, ordered } = registration;
      for (const other of handlers.values()) {
        if (other.lane !== lane) continue;
        if (other.concurrency !== undefined && concurrency !== undefined && other.concurrency !== concurrency) {
          throw new Error(`The handlers of outbox lane ${lane} declare two concurrencies: ${other.concurrency} and ${concurrency}.`);
        }
        if (other.background !== background) throw new Error(`The handlers of outbox lane ${lane} disagree on whether it is background.`);
        if (other.ordered !== ordered) throw new Error(`The handlers of outbox lane ${lane} disagree on whether it is ordered.`);
      }
      handlers.set(registration.type, { handler: instance as OutboxEventHandler, lane, concurrency, background, ordered });
    }
    this.handlers = handlers;
    return handlers;
  }
}
