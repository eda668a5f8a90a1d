// First of all, before the app and its libraries are required: OpenTelemetry's
// instrumentations patch modules as they load. Off (nothing loaded) unless OTEL_* asks for it,
// in the environment or in the `.env` file the configuration reads (read here: it is read too
// late for tracing otherwise).
import { applyOtelEnvFile, startTracing } from '@app/core/instrumentation';

applyOtelEnvFile();
startTracing();
