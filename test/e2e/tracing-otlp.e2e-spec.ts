import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { StripeSandbox, SupplierSimulator } from '@app/sandbox';
import { aCreateBody, aKey } from '../support/builders';
import { OtlpReceiver, ReceivedSpan } from '../support/otlp-receiver';
import { freePort, TestSmtpServer } from '../support/smtp-server';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { HEAVY_TEST_TIMEOUT_MS, waitForProcess, waitForProgress } from '../support/wait-for-progress';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const WEBHOOK_SECRET = 'whsec_tracing_secret';
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const SPAN_KIND_CONSUMER = 5;

/** The newest modification time of the sources the build compiles. */
function newestSource(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The built app, as a user starts it: built again first when a source is newer than it (CI has just built it). */
function ensureBuilt(): void {
  const sources = Math.max(
    ...['apps', 'libs', 'migrations'].map((directory) => newestSource(join(ROOT, directory))),
  );
  if (existsSync(MAIN) && statSync(MAIN).mtimeMs >= sources) return;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build', 'api'],
    { cwd: ROOT, stdio: 'pipe' },
  );
}

/** The environment without any OTEL_* variable of this process: each run sets its own. */
function environmentWithoutOtel(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));
}

/**
 * The built app (`node dist/apps/api/src/main.js`), started as a user would, on MySQL, with
 * tracing configured by the standard OTEL_* variables alone, exporting to a real OTLP/HTTP
 * receiver on loopback.
 */
describe('traces from the built app to an OTLP/HTTP receiver (MySQL)', () => {
  let database: TestDatabase;
  const receiver = new OtlpReceiver();
  const sandbox = new StripeSandbox({ webhookSecret: WEBHOOK_SECRET });
  const hertz = new SupplierSimulator('HERTZ');
  const smtp = new TestSmtpServer();
  let otlp: string;
  let env: Record<string, string>;
  let api: { process: ChildProcess; base: string; output: () => string } | undefined;

  beforeAll(async () => {
    ensureBuilt();
    database = await createTestDatabase('mysql');
    otlp = await receiver.start();
    const stripe = await sandbox.start();
    const supplier = await hertz.start();
    const smtpUrl = await smtp.start();
    env = {
      NODE_ENV: 'production',
      SANDBOX: 'false',
      DATABASE_URL: database.url,
      DATABASE_MIGRATE_ON_START: 'true',
      DATABASE_SEED_ON_START: 'true',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      STRIPE_SECRET_KEY: 'sk_test_tracing',
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_BASE: stripe.url,
      SUPPLIER_HERTZ_URL: supplier.url,
      SUPPLIER_BUDGET_URL: supplier.url,
      SUPPLIER_EUROPCAR_URL: supplier.url,
      SMTP_URL: `smtp://127.0.0.1:${new URL(smtpUrl).port}`,
      MAIL_FROM: 'Car Rental Receipts <receipts@rental.example>',
    };
  }, HEAVY_TEST_TIMEOUT_MS);
  afterEach(async () => {
    await stop();
  });
  afterAll(async () => {
    await Promise.all([receiver.stop(), sandbox.stop(), hertz.stop(), smtp.stop()]);
    await database?.drop();
  });

  const start = async (otel: Record<string, string>) => {
    const port = await freePort();
    let output = '';
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { ...environmentWithoutOtel(), ...env, PORT: String(port), ...otel },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (output = (output + String(chunk)).slice(-200_000)));
    child.stderr!.on('data', (chunk) => (output = (output + String(chunk)).slice(-200_000)));
    await waitForProcess(child, {
      what: 'the built API',
      ready: () => output.includes('Reservations API listening'),
      output: () => output,
    });
    api = { process: child, base: `http://127.0.0.1:${port}`, output: () => output };
    sandbox.setWebhookUrl(`${api.base}/api/v1/webhooks/stripe`);
    return api;
  };
  const stop = async () => {
    const running = api;
    api = undefined;
    if (!running || running.process.exitCode !== null) return;
    const exited = new Promise((resolve) => running.process.once('exit', resolve));
    running.process.kill('SIGTERM');
    await exited;
  };
  const reserveAndPay = async (base: string) => {
    const response = await request(`${base}/api/v1/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': aKey() },
      body: JSON.stringify(aCreateBody()),
    });
    const created = (await response.body.json()) as {
      reservation_code: string;
      payment: { payment_intent_id: string };
    };
    expect([response.statusCode, created]).toEqual([202, expect.anything()]);
    await sandbox.succeed(created.payment.payment_intent_id);
    return created.reservation_code;
  };
  const children = (parent: ReceivedSpan) =>
    receiver.spans.filter((span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId);

  it('http/json: the request, its SQL, the outbox events, the supplier and the SMTP send, one trace per entry, the payment linked to the creation, logs joined by trace_id', async () => {
    const { base, output } = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'always_on',
      // Batches leave every 200 ms instead of 5 s: the test waits for spans, not for a timer.
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    const code = await reserveAndPay(base);
    const mailSpan = () =>
      receiver.spans.find(
        (span) =>
          span.name === 'SEND_RECEIPT_EMAIL' &&
          span.attributes['reservation.code'] === code &&
          children(span).some((child) => child.name === 'smtp send'),
      );
    await waitForProgress({
      what: 'the spans of the receipt e-mail',
      progress: async () => receiver.spans.length,
      done: () => mailSpan() !== undefined,
      pollMs: 100,
    });

    expect(receiver.refused).toEqual([]);
    expect(new Set(receiver.spans.map((span) => span.service))).toEqual(new Set(['reservations-api']));
    // The creation: the request's server span, Express's route on it, its SQL on MySQL, and Stripe.
    const creation = receiver.spans.find(
      (span) => span.kind === SPAN_KIND_SERVER && span.name === 'POST /api/v1/reservations',
    )!;
    expect(creation).toBeDefined();
    const inCreation = receiver.spans.filter((span) => span.traceId === creation.traceId);
    expect(
      inCreation.some(
        (span) => span.attributes['db.system'] === 'mysql' || span.attributes['db.system.name'] === 'mysql',
      ),
    ).toBe(true);
    expect(
      inCreation.some(
        (span) =>
          span.kind === SPAN_KIND_CLIENT &&
          String(span.attributes['url.full']).endsWith('/v1/payment_intents'),
      ),
    ).toBe(true);

    // The payment: Stripe's webhook, linked to the creation; the booking and the receipt in its trace.
    const webhook = receiver.spans.find(
      (span) => span.kind === SPAN_KIND_SERVER && span.name === 'POST /api/v1/webhooks/stripe',
    )!;
    expect(webhook).toBeDefined();
    // The link names the span that was active when the reservation was inserted (Nest's handler span, in the creation's trace).
    const links = receiver.spans
      .filter((span) => span.traceId === webhook.traceId)
      .flatMap((span) => span.links);
    expect(links).toEqual([
      expect.objectContaining({
        traceId: creation.traceId,
        attributes: expect.objectContaining({ 'reservation.code': code }),
      }),
    ]);
    expect(inCreation.map((span) => span.spanId)).toContain(links[0].spanId);
    const booking = receiver.spans.find(
      (span) => span.name === 'BOOK_WITH_SUPPLIER' && span.attributes['reservation.code'] === code,
    )!;
    expect(booking).toMatchObject({ kind: SPAN_KIND_CONSUMER, traceId: webhook.traceId });
    expect(booking.attributes).toMatchObject({
      'outbox.attempt': 1,
      'outbox.event.type': 'BOOK_WITH_SUPPLIER',
    });
    expect(
      children(booking).some(
        (span) =>
          span.kind === SPAN_KIND_CLIENT && String(span.attributes['url.full']).endsWith('/ota/VehRes'),
      ),
    ).toBe(true);
    const receipt = receiver.spans.find(
      (span) => span.name === 'ISSUE_RECEIPT' && span.attributes['reservation.code'] === code,
    )!;
    expect(receipt.parentSpanId).toBe(booking.spanId);
    expect(mailSpan()!.parentSpanId).toBe(receipt.spanId);

    // Logs: the access-log line of each request carries its trace and span.
    const lines = output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { trace_id?: string; span_id?: string; req?: { url?: string } });
    const createLine = lines.find((line) => line.req?.url === '/api/v1/reservations');
    expect(createLine).toMatchObject({
      trace_id: creation.traceId,
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(lines.find((line) => line.req?.url === '/api/v1/webhooks/stripe')?.trace_id).toBe(webhook.traceId);
  });

  it('http/protobuf: the same spans leave in protobuf', async () => {
    const before = receiver.protobuf.length;
    const { base } = await start({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp}/v1/traces`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SERVICE_NAME: 'reservations-api-protobuf',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    const code = await reserveAndPay(base);
    const bodies = () => Buffer.concat(receiver.protobuf.slice(before)).toString('latin1');
    await waitForProgress({
      what: 'protobuf spans',
      progress: async () => receiver.protobuf.length,
      done: () => bodies().includes('BOOK_WITH_SUPPLIER') && bodies().includes(code),
      pollMs: 100,
    });
    // Protobuf carries its strings as they are: the service, the event type and the reservation's code.
    expect(bodies()).toContain('reservations-api-protobuf');
  });

  it('no OTEL_* variable: no SDK module is loaded at all', () => {
    const probe = [
      "require('./dist/libs/core/src/instrumentation').startTracing();",
      "process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((path) => path.includes('@opentelemetry/sdk-'))));",
    ].join('');
    const loaded = (otel: Record<string, string>) =>
      JSON.parse(
        execFileSync(process.execPath, ['-e', probe], {
          cwd: ROOT,
          env: { ...environmentWithoutOtel(), ...otel },
        }).toString(),
      ) as string[];
    expect(loaded({})).toEqual([]);
    expect(loaded({ OTEL_TRACES_EXPORTER: 'none' })).toEqual([]);
    expect(loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_SDK_DISABLED: 'true' })).toEqual([]);
    expect(loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp }).length).toBeGreaterThan(0);
  });
});
