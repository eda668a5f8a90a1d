import { registerAs } from '@nestjs/config';
import { InvalidEnvironmentError, parseEnvironment } from '@app/core';

/**
 * Where the reservation lifecycle goes (docs/events.md, docs/webhooks.md). Each sink is off,
 * and nothing is queued for it, while its URL is unset.
 */
export const lifecycleEventsConfig = registerAs('lifecycleEvents', () => {
  const env = parseEnvironment();
  const webhookUrl = env.STATUS_WEBHOOK_URL;
  if (webhookUrl && !env.STATUS_WEBHOOK_SECRET) {
    throw new InvalidEnvironmentError(
      'Invalid configuration:\n  STATUS_WEBHOOK_SECRET: required with STATUS_WEBHOOK_URL (a whsec_… secret)',
    );
  }
  if (webhookUrl && !isAbsoluteHttpUrl(webhookUrl)) {
    throw new InvalidEnvironmentError(
      'Invalid configuration:\n  STATUS_WEBHOOK_URL: must be an absolute http or https URL',
    );
  }
  return {
    nats: env.EVENTS_NATS_URL
      ? {
          servers: env.EVENTS_NATS_URL.split(','),
          stream: env.EVENTS_NATS_STREAM ?? 'RESERVATIONS',
          subjectPrefix: env.EVENTS_NATS_SUBJECT_PREFIX ?? 'reservations',
          /** The CloudEvents `source` of every event. */
          source: env.EVENTS_SOURCE ?? 'urn:car-rental:reservations-api',
          /** While the broker is away, an event waits at most this long between tries. */
          retryMaxMs: env.EVENTS_NATS_RETRY_MAX_MS ?? 10_000,
        }
      : null,
    webhook:
      webhookUrl && env.STATUS_WEBHOOK_SECRET
        ? {
            ...withoutCredentials(webhookUrl),
            secret: env.STATUS_WEBHOOK_SECRET,
            timeoutMs: env.STATUS_WEBHOOK_TIMEOUT_MS ?? 5000,
          }
        : null,
  };
});

/**
 * `https://user:password@host/…`, for a receiver behind HTTP basic authentication: the
 * credentials go in an `Authorization` header (fetch refuses a URL that carries them), and the
 * URL is kept without them.
 */
function withoutCredentials(text: string): { url: string; authorization: string | null } {
  const url = new URL(text);
  if (!url.username && !url.password) return { url: text, authorization: null };
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  return { url: url.toString(), authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

function isAbsoluteHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

export type LifecycleEventsConfig = ReturnType<typeof lifecycleEventsConfig>;
export type NatsEventsConfig = NonNullable<LifecycleEventsConfig['nats']>;
export type StatusWebhookConfig = NonNullable<LifecycleEventsConfig['webhook']>;
