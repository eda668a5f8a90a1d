import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';

/**
 * OpenTelemetry's instrumentations patch modules as Node's `require` loads them
 * (require-in-the-middle). Jest loads a test's modules through its own registry, which that hook
 * never sees, so in a Jest process the SDK's http instrumentation patches nothing. Node's core
 * `http` and `https` are shared with Jest, though: this patches them by hand, with the same
 * instrumentation and its own definitions, exactly as the SDK would on `require('http')` in a
 * real process (the built app, spawned by a test, needs none of this). Undici reports through
 * `diagnostics_channel` and needs no patch. Returns what takes the patches off.
 */
export function instrumentCoreHttpForJest(): () => void {
  const instrumentation = new HttpInstrumentation({
    ignoreIncomingRequestHook: (request) => /^\/(health|metrics|docs)/.test(request.url ?? ''),
  });
  const patched: { unpatch: () => void }[] = [];
  for (const definition of instrumentation.getModuleDefinitions()) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exports = require(definition.name) as unknown;
    definition.patch?.(exports, process.versions.node);
    patched.push({ unpatch: () => definition.unpatch?.(exports, process.versions.node) });
  }
  return () => {
    for (const { unpatch } of patched) unpatch();
    instrumentation.disable();
  };
}
