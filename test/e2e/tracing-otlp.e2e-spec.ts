import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
const CREATE_ROUTE = '/api/v1/reservations';

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

/** A W3C `traceparent` a caller of ours would send: version 00, fresh ids, sampled or not. */
function aTraceparent(sampled: boolean): { header: string; traceId: string; spanId: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`, traceId, spanId };
}

/** The app's JSON log lines (pino), access-log lines among them. */
interface LogLine {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
  req?: { url?: string; method?: string };
}
const logLinesOf = (output: string): LogLine[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

/**
 * The built app (`node dist/apps/api/src/main.js`), started as a user would, on MySQL, with
 * tracing configured by the standard OTEL_* variables alone (in the environment or in a `.env`
 * file), exporting to a real OTLP/HTTP receiver on loopback. Each test names its own service
 * (`OTEL_SERVICE_NAME`) and reads only that service's spans: the receiver is shared.
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
  const scratch: string[] = [];

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
    for (const directory of scratch) rmSync(directory, { recursive: true, force: true });
  });

  /** Starts the built app with these OTEL_* variables (and none of this process's), in `cwd` (the repository by default). */
  const start = async (otel: Record<string, string>, cwd = ROOT) => {
    const port = await freePort();
    let output = '';
    const child = spawn(process.execPath, [MAIN], {
      cwd,
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
  /** Stops the app with SIGTERM, as an orchestrator would: the SDK flushes what it has not exported yet. */
  const stop = async () => {
    const running = api;
    api = undefined;
    if (!running || running.process.exitCode !== null) return;
    const exited = new Promise((resolve) => running.process.once('exit', resolve));
    running.process.kill('SIGTERM');
    await exited;
  };
  const create = async (base: string, headers: Record<string, string> = {}) => {
    const response = await request(`${base}${CREATE_ROUTE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': aKey(), ...headers },
      body: JSON.stringify(aCreateBody()),
    });
    const created = (await response.body.json()) as {
      reservation_code: string;
      payment: { payment_intent_id: string };
    };
    expect([response.statusCode, created]).toEqual([202, expect.anything()]);
    return created;
  };
  const reserveAndPay = async (base: string) => {
    const created = await create(base);
    await sandbox.succeed(created.payment.payment_intent_id);
    return created.reservation_code;
  };
  /** Until the receipt e-mail of the reservation reached the mail server: the end of its outbox chain. */
  const mailed = async (code: string) => {
    await waitForProgress({
      what: `the receipt e-mail of ${code}`,
      progress: async () => smtp.messages.length,
      done: () => smtp.messages.some((mail) => (mail.subject ?? '').includes(code)),
      pollMs: 100,
    });
  };

  /**
   * The spans of one paid reservation as a backend reads them, whatever the protocol: the
   * creation's SERVER span with Express's and Nest's spans under it, its SQL on MySQL and its
   * Stripe call; Stripe's webhook linked to the creation; the booking, the receipt and the mail
   * each in the webhook's trace, child of the one before.
   */
  const expectTheFlow = (spans: ReceivedSpan[], code: string) => {
    const children = (parent: ReceivedSpan) =>
      spans.filter((span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId);

    const creation = spans.find(
      (span) => span.kind === SPAN_KIND_SERVER && span.name === `POST ${CREATE_ROUTE}`,
    )!;
    expect(creation).toBeDefined();
    const inCreation = spans.filter((span) => span.traceId === creation.traceId);
    // Express's route handler under the server span (the logger's `{*path}` middleware routes are
    // its siblings), Nest's request span under it, Nest's handler span under that, and the
    // handler's calls (its SQL, the inline Stripe call) under the handler.
    expect(creation.attributes['http.route']).toBe(CREATE_ROUTE);
    const route = children(creation).find(
      (span) =>
        span.attributes['express.type'] === 'request_handler' &&
        span.attributes['http.route'] === CREATE_ROUTE,
    )!;
    expect(route).toMatchObject({ name: 'request handler' });
    const [nest] = children(route);
    expect(nest).toMatchObject({ name: 'CreateReservationController.create' });
    expect(nest.attributes).toMatchObject({
      'nestjs.type': 'request_context',
      'nestjs.controller': 'CreateReservationController',
      'http.route': CREATE_ROUTE,
      'http.request.method': 'POST',
    });
    const [handler] = children(nest);
    expect(handler.attributes).toMatchObject({ 'nestjs.type': 'handler', 'nestjs.callback': 'create' });
    const calls = children(handler);
    expect(
      calls.some(
        (span) => span.attributes['db.system'] === 'mysql' || span.attributes['db.system.name'] === 'mysql',
      ),
    ).toBe(true);
    expect(
      calls.filter(
        (span) =>
          span.kind === SPAN_KIND_CLIENT &&
          String(span.attributes['url.full']).endsWith('/v1/payment_intents'),
      ),
    ).toHaveLength(1);

    // The payment: Stripe's webhook, linked to the creation; the booking and the receipt in its trace.
    const webhook = spans.find(
      (span) => span.kind === SPAN_KIND_SERVER && span.name === 'POST /api/v1/webhooks/stripe',
    )!;
    expect(webhook).toBeDefined();
    // The link names the span that was active when the reservation was inserted (Nest's handler span, in the creation's trace).
    const links = spans.filter((span) => span.traceId === webhook.traceId).flatMap((span) => span.links);
    expect(links).toEqual([
      expect.objectContaining({
        traceId: creation.traceId,
        attributes: expect.objectContaining({ 'reservation.code': code }),
      }),
    ]);
    expect(inCreation.map((span) => span.spanId)).toContain(links[0].spanId);
    const booking = spans.find(
      (span) => span.name === 'BOOK_WITH_SUPPLIER' && span.attributes['reservation.code'] === code,
    )!;
    expect(booking).toMatchObject({ kind: SPAN_KIND_CONSUMER, traceId: webhook.traceId });
    expect(booking.attributes).toMatchObject({
      'outbox.attempt': 1,
      'outbox.event.type': 'BOOK_WITH_SUPPLIER',
      'outbox.lane': expect.any(String),
    });
    expect(booking.attributes['outbox.event.id']).toEqual(expect.any(Number));
    expect(
      children(booking).some(
        (span) =>
          span.kind === SPAN_KIND_CLIENT && String(span.attributes['url.full']).endsWith('/ota/VehRes'),
      ),
    ).toBe(true);
    const receipt = spans.find(
      (span) => span.name === 'ISSUE_RECEIPT' && span.attributes['reservation.code'] === code,
    )!;
    expect(receipt.parentSpanId).toBe(booking.spanId);
    const mail = spans.find(
      (span) => span.name === 'SEND_RECEIPT_EMAIL' && span.attributes['reservation.code'] === code,
    )!;
    expect(mail.parentSpanId).toBe(receipt.spanId);
    // One SMTP exchange (beside the handler's SQL), a span of our own.
    const sends = children(mail).filter((span) => span.attributes['network.protocol.name'] === 'smtp');
    expect(sends.map((span) => [span.name, span.kind])).toEqual([['smtp send', SPAN_KIND_CLIENT]]);
    return { creation, webhook };
  };
  /** Until the mail span of the reservation (with its `smtp send` child) reached the receiver. */
  const mailSpanArrived = async (service: string, code: string) => {
    await waitForProgress({
      what: `the spans of the receipt e-mail of ${code}`,
      progress: async () => receiver.spans.length,
      done: () => {
        const spans = receiver.of(service);
        return spans.some(
          (span) =>
            span.name === 'SEND_RECEIPT_EMAIL' &&
            span.attributes['reservation.code'] === code &&
            spans.some((child) => child.parentSpanId === span.spanId && child.name === 'smtp send'),
        );
      },
      pollMs: 100,
    });
  };

  it('http/json: the request, its SQL, the outbox events, the supplier and the SMTP send, one trace per entry, the payment linked to the creation, logs joined by trace_id', async () => {
    const { base, output } = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'always_on',
      // Batches leave every 200 ms instead of 5 s: the test waits for spans, not for a timer.
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    const code = await reserveAndPay(base);
    // No OTEL_SERVICE_NAME: the product's default.
    await mailSpanArrived('reservations-api', code);

    expect(receiver.refused).toEqual([]);
    const spans = receiver.of('reservations-api');
    expect(new Set(spans.map((span) => span.format))).toEqual(new Set(['json']));
    const { creation, webhook } = expectTheFlow(spans, code);

    // Logs: the access-log line of each request carries its trace and span.
    const lines = logLinesOf(output());
    const createLine = lines.find((line) => line.req?.url === CREATE_ROUTE);
    expect(createLine).toMatchObject({
      trace_id: creation.traceId,
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(spans.filter((span) => span.traceId === creation.traceId).map((span) => span.spanId)).toContain(
      createLine!.span_id,
    );
    expect(lines.find((line) => line.req?.url === '/api/v1/webhooks/stripe')?.trace_id).toBe(webhook.traceId);
  });

  it('http/protobuf: the same spans, decoded, with the same parents, attributes and link', async () => {
    const service = 'reservations-api-protobuf';
    const { base } = await start({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp}/v1/traces`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SERVICE_NAME: service,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    const code = await reserveAndPay(base);
    await mailSpanArrived(service, code);

    expect(receiver.refused).toEqual([]);
    const spans = receiver.of(service);
    expect(new Set(spans.map((span) => span.format))).toEqual(new Set(['protobuf']));
    expectTheFlow(spans, code);
  });

  it.each([
    { sampler: 'always_off', arg: undefined },
    { sampler: 'traceidratio', arg: '0' },
  ])(
    'OTEL_TRACES_SAMPLER=$sampler (arg $arg): requests served, outbox events run, not one span exported',
    async ({ sampler, arg }) => {
      const service = `reservations-api-${sampler}`;
      const { base, output } = await start({
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: service,
        OTEL_TRACES_SAMPLER: sampler,
        ...(arg === undefined ? {} : { OTEL_TRACES_SAMPLER_ARG: arg }),
        OTEL_BSP_SCHEDULE_DELAY: '200',
      });
      const code = await reserveAndPay(base);
      await mailed(code);
      // Tracing did run: the log lines carry a trace id, with the flags of a trace not sampled.
      const createLine = logLinesOf(output()).find((line) => line.req?.url === CREATE_ROUTE);
      expect(createLine).toMatchObject({
        trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        trace_flags: '00',
      });
      // SIGTERM flushes whatever the SDK holds: nothing.
      await stop();
      expect(receiver.refused).toEqual([]);
      expect(receiver.of(service)).toEqual([]);
    },
  );

  it("the default sampler (parentbased_always_on) follows the caller's traceparent: a sampled one is continued, an unsampled one exports nothing", async () => {
    const service = 'reservations-api-parentbased';
    const { base, output } = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: service,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    const sampled = aTraceparent(true);
    const unsampled = aTraceparent(false);
    await create(base, { traceparent: unsampled.header });
    await create(base, { traceparent: sampled.header });
    const serverSpanOf = (traceId: string) =>
      receiver.of(service).find((span) => span.kind === SPAN_KIND_SERVER && span.traceId === traceId);
    await waitForProgress({
      what: 'the server span of the sampled request',
      progress: async () => receiver.spans.length,
      done: () => serverSpanOf(sampled.traceId) !== undefined,
      pollMs: 100,
    });
    await stop();

    // The caller's trace, continued: our server span is a child of the caller's span.
    expect(serverSpanOf(sampled.traceId)).toMatchObject({
      name: `POST ${CREATE_ROUTE}`,
      parentSpanId: sampled.spanId,
    });
    // The caller decided not to sample: no span of that trace leaves, the request's SQL and Stripe call included.
    expect(receiver.of(service).filter((span) => span.traceId === unsampled.traceId)).toEqual([]);
    const lines = logLinesOf(output()).filter((line) => line.req?.url === CREATE_ROUTE);
    expect(lines.map((line) => [line.trace_id, line.trace_flags])).toEqual([
      [unsampled.traceId, '00'],
      [sampled.traceId, '01'],
    ]);
  });

  it('OTEL_* in a .env file of the working directory, and nowhere else: tracing starts, with its resource attributes and export headers; the real environment still wins', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tracing-dotenv-'));
    scratch.push(directory);
    writeFileSync(
      join(directory, '.env'),
      [
        '# OpenTelemetry, as an operator writes it in .env (docs/observability.md)',
        `OTEL_EXPORTER_OTLP_ENDPOINT=${otlp}`,
        'OTEL_EXPORTER_OTLP_PROTOCOL=http/json',
        'OTEL_SERVICE_NAME=the-name-in-the-file',
        'OTEL_RESOURCE_ATTRIBUTES="deployment.environment=dotenv"',
        'OTEL_EXPORTER_OTLP_HEADERS=x-tenant=from%20the%20file',
        'OTEL_BSP_SCHEDULE_DELAY=200',
        '',
      ].join('\n'),
    );
    const service = 'reservations-api-dotenv';
    // The environment has no OTEL_* but the service name, which wins over the file's.
    const { base } = await start({ OTEL_SERVICE_NAME: service }, directory);
    const { reservation_code: code } = await create(base);
    await waitForProgress({
      what: `the creation span of ${code}`,
      progress: async () => receiver.spans.length,
      done: () => receiver.of(service).some((span) => span.name === `POST ${CREATE_ROUTE}`),
      pollMs: 100,
    });
    const creation = receiver.of(service).find((span) => span.name === `POST ${CREATE_ROUTE}`)!;
    expect(creation).toMatchObject({ format: 'json', kind: SPAN_KIND_SERVER });
    expect(creation.resource).toMatchObject({ 'service.name': service, 'deployment.environment': 'dotenv' });
    expect(creation.headers['x-tenant']).toBe('from the file');
    expect(receiver.of('the-name-in-the-file')).toEqual([]);
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
