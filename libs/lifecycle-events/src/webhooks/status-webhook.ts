import { eventTypeOf, LifecycleChange } from '../lifecycle-change';

/** The body of a status webhook, as Standard Webhooks lays a payload out: type, timestamp, data. */
export interface StatusWebhookBody {
  type: string;
  timestamp: string;
  data: {
    reservation_code: string;
    status: string;
    previous_status: string | null;
    progress: { code: string; payment: string; supplier: string };
    changed_at: string;
  };
}

export function statusWebhookBodyOf(change: LifecycleChange): StatusWebhookBody {
  return {
    type: eventTypeOf(change.status),
    timestamp: change.occurredAt,
    data: {
      reservation_code: change.reservationCode,
      status: change.status,
      previous_status: change.previousStatus,
      progress: change.progress,
      changed_at: change.occurredAt,
    },
  };
}

/** What a receiver's answer means for the delivery. */
export type DeliveryVerdict =
  { kind: 'delivered' } | { kind: 'retry'; afterMs?: number } | { kind: 'refused' };

/**
 * 2xx: delivered. 429 and 5xx: tried again with backoff (a `Retry-After` in seconds, which a 429
 * or a 503 may carry, is honoured up to `maxRetryAfterMs`). Any other answer (another 4xx, a
 * redirect, which is not followed): refused, never tried again.
 */
export function verdictOf(
  status: number,
  retryAfter: string | null,
  maxRetryAfterMs: number,
): DeliveryVerdict {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status >= 500 || status === 429) {
    const seconds =
      retryAfter !== null && /^\d{1,7}$/.test(retryAfter.trim()) ? Number(retryAfter) : undefined;
    return seconds === undefined
      ? { kind: 'retry' }
      : { kind: 'retry', afterMs: Math.min(seconds * 1000, maxRetryAfterMs) };
  }
  return { kind: 'refused' };
}
