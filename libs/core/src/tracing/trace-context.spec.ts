import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing, TraceState } from '@opentelemetry/core';
import { B3Propagator } from '@opentelemetry/propagator-b3';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  currentTraceContext,
  inSpan,
  linkActiveSpanTo,
  STORED_TRACE_CONTEXT_MAX_LENGTH,
} from './trace-context';

/** A real SDK in this process (no exporter but memory), with the context manager the Node SDK uses. */
describe('trace context: stored, restored, linked', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
    // What OTEL_PROPAGATORS=b3 makes the global propagator: the stored context must not depend on it.
    propagation.setGlobalPropagator(new B3Propagator());
  });
  afterEach(() => exporter.reset());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  const finished = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);
  /** The active context made of a span context, as a caller's `traceparent`/`tracestate` would make it. */
  const remote = (traceState?: string) =>
    trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: traceState === undefined ? undefined : new TraceState(traceState),
    });

  describe('currentTraceContext', () => {
    it('is null outside any span, and where tracing is suppressed', () => {
      expect(currentTraceContext()).toBeNull();
      expect(context.with(suppressTracing(remote()), () => currentTraceContext())).toBeNull();
    });

    it("is the active span's W3C traceparent, whatever the global propagator is (b3 here)", async () => {
      const stored = await inSpan('work', {}, async (span) => {
        const { traceId, spanId } = span.spanContext();
        return { stored: currentTraceContext(), traceId, spanId };
      });
      expect(JSON.parse(stored.stored!)).toEqual({ traceparent: `00-${stored.traceId}-${stored.spanId}-01` });
    });

    it('keeps a tracestate that fits', () => {
      const stored = context.with(remote('vendor=abc,other=x1'), () => currentTraceContext());
      expect(JSON.parse(stored!)).toEqual({
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate: 'vendor=abc,other=x1',
      });
    });

    it('drops a tracestate too long for the column (a legal 510 characters), keeping the traceparent', () => {
      const long = `a=${'x'.repeat(250)},b=${'y'.repeat(255)}`;
      expect(long.length).toBe(510);
      // The SDK accepts it as it is: this is what a caller's header can put in the context.
      expect(new TraceState(long).serialize()).toBe(long);
      const stored = context.with(remote(long), () => currentTraceContext())!;
      expect(stored.length).toBeLessThanOrEqual(STORED_TRACE_CONTEXT_MAX_LENGTH);
      expect(JSON.parse(stored)).toEqual({
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      });
    });

    it('says an unsampled trace is unsampled', () => {
      const unsampled = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: TraceFlags.NONE,
      });
      expect(JSON.parse(context.with(unsampled, () => currentTraceContext())!)).toEqual({
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
      });
    });
  });

  describe('inSpan', () => {
    it('continues a stored context (W3C, with the global propagator b3): same trace, that span its parent, its tracestate kept', async () => {
      const stored = JSON.stringify({
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate: 'vendor=abc',
      });
      await inSpan(
        'later',
        { kind: SpanKind.CONSUMER, parent: stored, attributes: { 'outbox.attempt': 2 } },
        async () => undefined,
      );
      const [later] = finished('later');
      expect(later.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(later.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(later.spanContext().traceState?.serialize()).toBe('vendor=abc');
      expect(later.kind).toBe(SpanKind.CONSUMER);
      expect(later.attributes['outbox.attempt']).toBe(2);
    });

    it('round-trips: what currentTraceContext stored, inSpan continues', async () => {
      const first = await inSpan('first', {}, async () => currentTraceContext());
      await inSpan('second', { parent: first }, async () => undefined);
      const [one] = finished('first');
      const [two] = finished('second');
      expect(two.spanContext().traceId).toBe(one.spanContext().traceId);
      expect(two.parentSpanContext?.spanId).toBe(one.spanContext().spanId);
    });

    it("is a child of the active span when no parent is given, and a new trace's root with parent null, even inside a suppressed context", async () => {
      await inSpan('outer', {}, async () => {
        await inSpan('inner', {}, async () => undefined);
        await inSpan('own trace', { parent: null }, async () => undefined);
        await context.with(suppressTracing(context.active()), () =>
          inSpan('not suppressed', { parent: null }, async () => undefined),
        );
        await context.with(suppressTracing(context.active()), () =>
          inSpan('suppressed', {}, async () => undefined),
        );
      });
      const [outer] = finished('outer');
      expect(finished('inner')[0].parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
      for (const name of ['own trace', 'not suppressed']) {
        const [root] = finished(name);
        expect(root.parentSpanContext).toBeUndefined();
        expect(root.spanContext().traceId).not.toBe(outer.spanContext().traceId);
      }
      expect(finished('suppressed')).toEqual([]);
    });

    it('starts a new trace when the stored context is unreadable', async () => {
      for (const stored of ['not json', '"a string"', 'null', '{"traceparent":"garbage"}']) {
        await inSpan('unreadable', { parent: stored }, async () => undefined);
      }
      const spans = finished('unreadable');
      expect(spans).toHaveLength(4);
      for (const span of spans) expect(span.parentSpanContext).toBeUndefined();
    });

    it('records a failure on the span (ERROR, the exception) and throws it on; the span ends either way', async () => {
      await expect(
        inSpan('failing', {}, async () => {
          throw new Error('supplier down');
        }),
      ).rejects.toThrow('supplier down');
      const [failing] = finished('failing');
      expect(failing.status).toEqual({ code: SpanStatusCode.ERROR, message: 'supplier down' });
      expect(failing.events.map((event) => event.name)).toEqual(['exception']);
      expect(failing.ended).toBe(true);
    });
  });

  describe('linkActiveSpanTo', () => {
    const creation = JSON.stringify({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });

    it("links the active span to the stored context's span, once however often it is asked (a transaction run again)", async () => {
      await inSpan('webhook', {}, async () => {
        linkActiveSpanTo(creation, { 'reservation.code': 'K7M2Q9XD' });
        linkActiveSpanTo(creation, { 'reservation.code': 'K7M2Q9XD' });
      });
      const [webhook] = finished('webhook');
      expect(webhook.links).toEqual([
        expect.objectContaining({
          context: expect.objectContaining({
            traceId: '0af7651916cd43dd8448eb211c80319c',
            spanId: 'b7ad6b7169203331',
          }),
          attributes: { 'reservation.code': 'K7M2Q9XD' },
        }),
      ]);
      expect(webhook.spanContext().traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    });

    it('does nothing without an active span, without a stored context, or with an unreadable one', async () => {
      expect(() => linkActiveSpanTo(creation)).not.toThrow();
      await inSpan('alone', {}, async () => {
        linkActiveSpanTo(null);
        linkActiveSpanTo('not json');
      });
      expect(finished('alone')[0].links).toEqual([]);
    });
  });
});
