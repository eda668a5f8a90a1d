import { context, propagation, trace } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { NodeSDK } from '@opentelemetry/sdk-node';

/** Requests that are not work: probes and scrapes would fill a trace store with noise. */
const UNTRACED_PATHS = /^\/(health|metrics|docs)(\/|$|\?|-)/;

/**
 * Whether the environment asks for traces, by the standard variables only: an OTLP endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or an explicit
 * `OTEL_TRACES_EXPORTER` other than `none`; `OTEL_SDK_DISABLED=true` wins over both.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters =
    env.OTEL_TRACES_EXPORTER?.split(',')
      .map((name) => name.trim())
      .filter(Boolean) ?? [];
  if (exporters.length > 0) return !exporters.every((name) => name === 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

let started: { sdk: NodeSDK; instrumentations: { disable(): void }[] } | null = null;

export interface StartTracingOptions {
  /** Where spans go instead of the exporter the environment names (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

/**
 * Starts the OpenTelemetry Node SDK with the well-kept instrumentations (http, undici, express,
 * Nest, mysql2, pino), configured by the standard `OTEL_*` variables (service name, exporter,
 * protocol `http/protobuf` or `http/json`, sampler, resource attributes…). Call it before the
 * application is loaded, so that the instrumentations see every module as it is required. Does
 * nothing (and loads no SDK) unless the environment asks for traces or a processor is given.
 * Metrics stay Prometheus' and logs stay on stdout: the SDK's own metric and log exporters are
 * off unless `OTEL_METRICS_EXPORTER` or `OTEL_LOGS_EXPORTER` says otherwise.
 */
export function startTracing(options: StartTracingOptions = {}): boolean {
  if (started) return true;
  if (!options.spanProcessors && !tracingRequested()) return false;
  process.env.OTEL_SERVICE_NAME ??= 'reservations-api';
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  // Loaded only now: with tracing off, no SDK module is ever required.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const sdkNode = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } =
    require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { UndiciInstrumentation } =
    require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { ExpressInstrumentation, ExpressLayerType } =
    require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
  const { NestInstrumentation } =
    require('@opentelemetry/instrumentation-nestjs-core') as typeof import('@opentelemetry/instrumentation-nestjs-core');
  const { MySQL2Instrumentation } =
    require('@opentelemetry/instrumentation-mysql2') as typeof import('@opentelemetry/instrumentation-mysql2');
  const { PinoInstrumentation } =
    require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const instrumentations = [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
    }),
    new UndiciInstrumentation(),
    // The route's handler, not each of the dozen middlewares every request passes (helmet, parsers…).
    new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
    new NestInstrumentation(),
    new MySQL2Instrumentation(),
    // trace_id and span_id on every log line written in a span; the lines themselves stay on stdout.
    new PinoInstrumentation({ disableLogSending: true }),
  ];
  const sdk = new sdkNode.NodeSDK({ spanProcessors: options.spanProcessors, instrumentations });
  sdk.start();
  started = { sdk, instrumentations };
  return true;
}

/**
 * Flushes the spans not yet exported, stops the SDK, and takes the instrumentations' patches
 * and the API's global registrations off (a test process goes on after it); nothing when it
 * never started.
 */
export async function shutdownTracing(): Promise<void> {
  const current = started;
  started = null;
  if (!current) return;
  await current.sdk.shutdown();
  for (const instrumentation of current.instrumentations) instrumentation.disable();
  // The API's globals go too, so that a later start registers its own.
  trace.disable();
  context.disable();
  propagation.disable();
}
