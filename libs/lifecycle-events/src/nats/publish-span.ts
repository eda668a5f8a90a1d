import { context, propagation, TextMapSetter } from '@opentelemetry/api';
import { MsgHdrs, PubAck } from 'nats';
import { inSpan, SpanKind } from '@app/core';

/** Writes the propagators' headers (W3C `traceparent`, `tracestate`) into a NATS message's headers. */
const NATS_HEADERS: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

export interface PublishTarget {
  subject: string;
  messageId: string;
  body: string;
  /** `host:port` of the server the connection is on (`NatsConnection.getServer()`). */
  server: string;
}

/**
 * Runs one JetStream publish in a PRODUCER span of its own (no instrumentation package exists
 * for the `nats` client), with the messaging semantic-convention attributes, and writes the
 * span's trace context into `headers`, so that a consumer continues the trace. The context goes
 * in the headers and never in the CloudEvent: the body stays the same bytes on every retry.
 * With tracing off the span is the API's no-op and no header is written.
 */
export function inPublishSpan(
  target: PublishTarget,
  headers: MsgHdrs,
  publish: () => Promise<PubAck>,
): Promise<PubAck> {
  return inSpan(
    `publish ${target.subject}`,
    { kind: SpanKind.PRODUCER, attributes: attributesOf(target) },
    async (span) => {
      propagation.inject(context.active(), headers, NATS_HEADERS);
      const ack = await publish();
      span.setAttribute('messaging.nats.jetstream.sequence', ack.seq);
      span.setAttribute('messaging.nats.jetstream.duplicate', ack.duplicate);
      return ack;
    },
  );
}

function attributesOf({ subject, messageId, body, server }: PublishTarget): Record<string, string | number> {
  const colon = server.lastIndexOf(':');
  const port = Number(server.slice(colon + 1));
  return {
    'messaging.system': 'nats',
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'publish',
    'messaging.destination.name': subject,
    'messaging.message.id': messageId,
    'messaging.message.body.size': Buffer.byteLength(body),
    ...(colon > 0 && Number.isInteger(port)
      ? { 'server.address': server.slice(0, colon).replace(/^\[|\]$/g, ''), 'server.port': port }
      : {}),
  };
}
