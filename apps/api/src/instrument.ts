// First of all, before the app and its libraries are required: OpenTelemetry's
// instrumentations patch modules as they load. Off (nothing loaded) unless OTEL_* asks for it.
import { startTracing } from '@app/core/instrumentation';

startTracing();
