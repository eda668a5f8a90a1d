import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EntitySql, isUniqueViolation } from '@app/core';
import { StripeWebhookEvent } from './stripe-webhook-event.entity';

const webhookEventSql = new EntitySql(StripeWebhookEvent);

/** The record of the Stripe events received: one row per event id, written in the event's transaction. */
@Injectable()
export class StripeWebhookEventsRepository {
  /**
   * Records a delivery; false when the event id is recorded already (a redelivery). A
   * concurrent delivery of the same id waits on this insert's key until the first transaction
   * ends, then finds it taken. The refused insert undoes only itself (MySQL and SQLite alike),
   * so the caller's transaction goes on and commits nothing else.
   */
  async recordFirstDelivery(manager: EntityManager, event: StripeWebhookEvent): Promise<boolean> {
    try {
      await webhookEventSql.insert(manager, event);
      return true;
    } catch (error) {
      // MySQL names the key, SQLite the column.
      if (isUniqueViolation(error, 'PRIMARY', 'stripe_webhook_events.event_id')) return false;
      throw error;
    }
  }

  async setOutcome(manager: EntityManager, eventId: string, outcome: string): Promise<void> {
    await manager.update(StripeWebhookEvent, { eventId }, { outcome });
  }
}
