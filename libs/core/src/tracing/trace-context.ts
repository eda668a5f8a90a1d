import {
  Attributes,
  context,
  Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * The product's side of tracing, on the OpenTelemetry API (and core's W3C propagator, which is
 * no SDK): with no SDK started (tracing off, the default) every call here is the API's no-op, a
 * few allocations at most.
 */
const TRACER_NAME = 'reservations-api';

/**
 * What stores and restores a context, whatever `OTEL_PROPAGATORS` makes the global propagator
 * (b3, jaeger, xray, none…): the columns hold W3C trace context, always.
 */
const W3C = new W3CTraceContextPropagator();

/** The width of the `trace_context` columns (outbox_events, reservations). */
export const STORED_TRACE_CONTEXT_MAX_LENGTH = 512;

function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/**
 * The current W3C trace context (`traceparent`, and `tracestate` when there is one) as JSON,
 * to store with work that runs later (an outbox event) or elsewhere; null when no span is
 * active, tracing is off or suppressed, so nothing is stored. Never longer than the column:
 * a caller's `tracestate` may be 512 characters, and the row must not fail for it, so it is
 * dropped when it does not fit (the trace itself goes on). Never throws.
 */
export function currentTraceContext(): string | null {
  try {
    const active = context.active();
    if (!trace.getSpanContext(active)) return null;
    const carrier: Record<string, string> = {};
    W3C.inject(active, carrier, defaultTextMapSetter);
    if (!carrier.traceparent) return null;
    const stored = JSON.stringify(carrier);
    if (stored.length <= STORED_TRACE_CONTEXT_MAX_LENGTH) return stored;
    return JSON.stringify({ traceparent: carrier.traceparent });
  } catch {
    return null;
  }
}

const UNTRACED = suppressTracing(ROOT_CONTEXT);

/**
 * Runs `work` in no trace, with tracing suppressed: background bookkeeping (an outbox claim, a
 * job looking for work) that would otherwise join whatever trace is active, or start one of its
 * own on every idle poll. Work that is worth a trace opens its own span inside (`inSpan` with a
 * stored or null parent), which starts from the root and is traced again.
 */
export function untraced<T>(work: () => T): T {
  return context.with(UNTRACED, work);
}


/** The context a stored trace context stands for: the root when there is none (or it is unreadable). */
function contextFrom(stored: string | null): Context {
  if (!stored) return ROOT_CONTEXT;
  try {
    const carrier: unknown = JSON.parse(stored);
    if (typeof carrier !== 'object' || carrier === null) return ROOT_CONTEXT;
    return W3C.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
  } catch {
    return ROOT_CONTEXT;
  }
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /**
   * A stored trace context (`currentTraceContext`) to continue; null: a new trace (whatever is
   * active, suppressed tracing too); undefined: the active context.
   */
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

/** The spans linked here, and to what: a transaction run again (a lost race) links once. */
const linked = new WeakMap<Span, Set<string>>();

/**
 * Links the active span to the span a stored trace context names: how the trace of a
 * reservation's payment webhook (or reconciliation) points to the trace that created it
 * (another request, another trace). Nothing happens without both, nor a second time for the
 * same span and target.
 */
export function linkActiveSpanTo(stored: string | null, attributes?: Attributes): void {
  if (!stored) return;
  const span = trace.getActiveSpan();
  if (!span) return;
  const target = trace.getSpanContext(contextFrom(stored));
  if (!target) return;
  const key = `${target.traceId}-${target.spanId}`;
  const done = linked.get(span) ?? new Set<string>();
  if (done.has(key)) return;
  done.add(key);
  linked.set(span, done);
  span.addLink({ context: target, attributes });
}

export { SpanKind };
