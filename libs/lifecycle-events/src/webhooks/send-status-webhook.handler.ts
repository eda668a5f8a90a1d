import { Inject, Injectable } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import {
  backoffCeilingMs,
  DependencyUnavailableError,
  NonRetryableOutboxError,
  outboxConfig,
  OutboxConfig,
  OutboxEventHandler,
  OutboxHandler,
  OutboxHandlerContext,
  OutboxMessage,
  RetryOutboxEventLater,
} from '@app/outbox';
import { LifecycleChange, SEND_STATUS_WEBHOOK, WEBHOOKS_LANE } from '../lifecycle-change';
import { lifecycleEventsConfig, LifecycleEventsConfig } from '../lifecycle-events.config';
import { LifecycleEventsMetrics } from '../lifecycle-events.metrics';
import { statusWebhookBodyOf, verdictOf } from './status-webhook';

/**
 * POSTs one change of status to the merchant's STATUS_WEBHOOK_URL, signed as Standard Webhooks
 * signs (docs/webhooks.md), in order per reservation (an ordered lane). At least once: the
 * `webhook-id` is the same on every retry, and the receiver deduplicates by it.
 */
@Injectable()
@OutboxHandler(SEND_STATUS_WEBHOOK, { lane: WEBHOOKS_LANE, ordered: true })
export class SendStatusWebhookHandler implements OutboxEventHandler<LifecycleChange> {
  private readonly signer: Webhook | null;

  constructor(
    private readonly metrics: LifecycleEventsMetrics,
    @Inject(lifecycleEventsConfig.KEY) private readonly config: LifecycleEventsConfig,
    @Inject(outboxConfig.KEY) private readonly outbox: OutboxConfig,
  ) {
    this.signer = config.webhook ? new Webhook(config.webhook.secret) : null;
  }

  async handle(
    { payload: change, attempt }: OutboxMessage<LifecycleChange>,
    { signal }: OutboxHandlerContext,
  ): Promise<void> {
    const webhook = this.config.webhook;
    if (!webhook || !this.signer) {
      throw new DependencyUnavailableError(
        60_000,
        'STATUS_WEBHOOK_URL is not set in this process: the delivery waits for one that has it',
      );
    }
    const body = JSON.stringify(statusWebhookBodyOf(change));
    // The attempt's own time, from the wall clock: receivers reject a timestamp far from theirs.
    const timestamp = new Date();
    let response: Response;
    try {
      response = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'reservations-api-webhooks',
          'webhook-id': change.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': this.signer.sign(change.id, timestamp, body),
          ...(webhook.authorization ? { authorization: webhook.authorization } : {}),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(webhook.timeoutMs)]),
      });
    } catch (error) {
      this.metrics.deliveries.inc({ sink: 'webhook', outcome: 'failed' });
      const reason =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
      throw new Error(`status webhook not delivered: ${reason}`);
    }
    // The answer's body is not read: release the connection.
    await response.body?.cancel().catch(() => undefined);
    const verdict = verdictOf(response.status, response.headers.get('retry-after'), this.outbox.backoffMaxMs);
    if (verdict.kind === 'delivered') {
      this.metrics.deliveries.inc({ sink: 'webhook', outcome: 'published' });
      return;
    }
    this.metrics.deliveries.inc({ sink: 'webhook', outcome: 'failed' });
    const message = `status webhook answered ${response.status}`;
    if (verdict.kind === 'refused')
      throw new NonRetryableOutboxError(`${message}: not retried (only network errors, 5xx and 429 are)`);
    if (verdict.afterMs !== undefined) {
      // Never sooner than the backoff of this attempt: a receiver that answers `Retry-After: 0`
      // again and again must not use up the attempts in moments (nor spin the lane).
      const backoffMs = backoffCeilingMs(attempt, {
        baseMs: this.outbox.backoffBaseMs,
        maxMs: this.outbox.backoffMaxMs,
      });
      throw new RetryOutboxEventLater(
        Math.max(verdict.afterMs, backoffMs),
        `${message}; Retry-After honoured`,
      );
    }
    throw new Error(message);
  }
}
