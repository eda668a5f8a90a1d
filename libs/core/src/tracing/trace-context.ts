import {
  Attributes,
  context,
  Context,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * The product's side of tracing, on the OpenTelemetry API alone: with no SDK started (tracing
 * off, the default) every call here is the API's no-op, a few allocations at most.
 */
const TRACER_NAME = 'reservations-api';

function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/**
 * The current W3C trace context (`traceparent`, and `tracestate` when there is one) as JSON,
 * to store with work that runs later (an outbox event) or elsewhere; null when no span is
 * active or tracing is off, so nothing is stored.
 */
export function currentTraceContext(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? JSON.stringify(carrier) : null;
}

/** The context a stored trace context stands for: the root when there is none (or it is unreadable). */
function contextFrom(stored: string | null): Context {
  if (!stored) return ROOT_CONTEXT;
  try {
    return propagation.extract(ROOT_CONTEXT, JSON.parse(stored) as Record<string, string>);
  } catch {
    return ROOT_CONTEXT;
  }
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** A stored trace context (`currentTraceContext`) to continue; otherwise the active context. */
  parent?: string | null;
}

/**
 * Runs `work` in a span of its own, active for everything it calls (the Stripe, supplier and
 * SMTP calls become its children); a failure is recorded on the span and thrown on.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent === undefined ? context.active() : contextFrom(options.parent);
  return tracer().startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Links the active span to the span a stored trace context names: how the trace of a
 * reservation's payment webhook points to the trace that created it (another request, another
 * trace). Nothing happens without both.
 */
export function linkActiveSpanTo(stored: string | null, attributes?: Attributes): void {
  if (!stored) return;
  const span = trace.getActiveSpan();
  const linked = trace.getSpanContext(contextFrom(stored));
  if (span && linked) span.addLink({ context: linked, attributes });
}

export { SpanKind };
