// The lib's instrumentation entry (@app/core/instrumentation): what an app's entry file loads
// first of all, before the app itself, so that OpenTelemetry's instrumentations see every module
// as it is required. It must stay light: it loads nothing of Nest, the ORM or pino.
export { shutdownTracing, startTracing, tracingRequested } from './tracing/start-tracing';
export type { StartTracingOptions } from './tracing/start-tracing';
export { applyOtelEnvFile } from './tracing-env';
