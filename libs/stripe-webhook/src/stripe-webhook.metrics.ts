import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Metrics } from '@app/core';

/** Stripe events received, by type and by what we did with them. */
@Injectable()
export class StripeWebhookMetrics {
  readonly events: Counter<'type' | 'outcome'>;

  constructor(metrics: Metrics) {
    this.events = metrics.counter({
      name: 'stripe_webhook_events_total',
      help: 'Stripe webhook deliveries by event type and outcome (applied, duplicate, ignored, …; invalid_signature for type "unverified")',
      labelNames: ['type', 'outcome'],
    });
  }
}
