import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Connection, createConnection, RowDataPacket } from 'mysql2/promise';
import { request } from 'undici';
import { SimulatedSupplier, StripeSandbox, SupplierSimulator } from '@app/sandbox';
import { aCreateBody } from '../support/builders';
import { RoundRobinClient, RoundRobinForwarder, RoundRobinResponse, sleep } from '../support/round-robin';
import { freePort, TestSmtpServer } from '../support/smtp-server';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitForProcess, waitForProgress } from '../support/wait-for-progress';

const ROOT = join(__dirname, '..', '..');
const PROCESSES = 3;
const RESERVATIONS = 150;
const CONCURRENCY = 12;
const SUPPLIERS: SimulatedSupplier[] = ['HERTZ', 'BUDGET', 'EUROPCAR'];
const WEBHOOK_SECRET = 'whsec_multi_process_secret';

/**
 * Three API processes (not a Node cluster: three ports, as three hosts would be) on one MySQL
 * database, behind a round-robin client and a round-robin webhook balancer. The whole flow runs
 * under load — reserve, replay on another process, pay, webhook (some twice), book through
 * failing suppliers, receipt, e-mail — while one process is SIGKILLed and restarted; then every
 * guarantee is checked in the database, at the suppliers and at the mail server.
 */
describe('three API processes on one MySQL database (round-robin, SIGKILL, supplier faults)', () => {
  let database: TestDatabase;
  let db: Connection;
  const sandbox = new StripeSandbox({ webhookSecret: WEBHOOK_SECRET });
  const simulators = Object.fromEntries(SUPPLIERS.map((code) => [code, new SupplierSimulator(code)])) as Record<SimulatedSupplier, SupplierSimulator>;
  const smtp = new TestSmtpServer();
  let smtpPort = 0;
  const ports: number[] = [];
  const apis: ChildProcess[] = [];
  const outputs: string[] = [];
  let forwarder: RoundRobinForwarder;
  let env: Record<string, string> = {};

  const startApi = async (index: number, first: boolean): Promise<void> => {
    outputs[index] = '';
    const api = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env,
        PORT: String(ports[index]),
        // Only the first process migrates and seeds; the others start once it is ready.
        DATABASE_MIGRATE_ON_START: String(first),
        DATABASE_SEED_ON_START: String(first),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    apis[index] = api;
    // Keep the tail: what a failed start or a failed assertion needs.
    const keep = (chunk: Buffer) => (outputs[index] = (outputs[index] + String(chunk)).slice(-20_000));
    api.stdout!.on('data', keep);
    api.stderr!.on('data', keep);
    const ready = () =>
      request(`http://127.0.0.1:${ports[index]}/health/ready`).then(
        async (response) => {
          await response.body.dump();
          return response.statusCode === 200;
        },
        () => false,
      );
    await waitForProcess(api, { what: `API ${index + 1}`, ready, output: () => outputs[index], pollMs: 200 });
  };

  const kill = async (index: number): Promise<void> => {
    const api = apis[index];
    if (api.exitCode !== null || api.signalCode !== null) return;
    const exited = new Promise((resolve) => api.once('exit', resolve));
    api.kill('SIGKILL');
    await exited;
  };

  const rows = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => (await db.query<RowDataPacket[]>(sql, params))[0] as T[];

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    const stripe = await sandbox.start();
    const suppliers = await Promise.all(SUPPLIERS.map((code) => simulators[code].start()));
    smtpPort = Number(new URL(await smtp.start()).port);
    for (let i = 0; i < PROCESSES; i++) ports.push(await freePort());
    forwarder = new RoundRobinForwarder(ports.map((port) => `http://127.0.0.1:${port}`));
    sandbox.setWebhookUrl(`${await forwarder.start()}/api/v1/webhooks/stripe`);
    env = {
      NODE_ENV: 'test',
      WEB_CONCURRENCY: '1',
      SANDBOX: 'false',
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: '10',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ADMIN_API_TOKEN: 'multi-process-admin-token',
      STRIPE_SECRET_KEY: 'sk_test_multi_process',
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_BASE: stripe.url,
      STRIPE_TIMEOUT_MS: '5000',
      // Reconciliation would find a lost webhook by itself: off, so that the webhooks alone must do.
      PAYMENT_JOBS_INTERVAL_MS: '3600000',
      SUPPLIER_HERTZ_URL: suppliers[0].url,
      SUPPLIER_BUDGET_URL: suppliers[1].url,
      SUPPLIER_EUROPCAR_URL: suppliers[2].url,
      SUPPLIER_TIMEOUT_MS: '500',
      SUPPLIER_BREAKER_HALF_OPEN_MS: '1000',
      SUPPLIER_RETRY_BASE_SECONDS: '1',
      SUPPLIER_RETRY_MAX_SECONDS: '2',
      // The BUDGET outage lasts as long as the load (longer on a busy machine): never give up here.
      SUPPLIER_RETRY_MAX_ATTEMPTS: '500',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      SMTP_TIMEOUT_MS: '2000',
      // A request cut by the SIGKILL is taken over by its retry after 2 s, not 60.
      IDEMPOTENCY_LOCK_SECONDS: '2',
      OUTBOX_POLL_INTERVAL_MS: '200',
      // The killed process's leases lapse after 8 s; a booking run (3 tries of 0.5 s) fits well within.
      OUTBOX_LEASE_MS: '8000',
      OUTBOX_BACKOFF_BASE_MS: '250',
      OUTBOX_BACKOFF_MAX_MS: '2000',
    };
    await startApi(0, true);
    await Promise.all([1, 2].map((index) => startApi(index, false)));
    db = await createConnection({ uri: database.url, timezone: 'Z' });
  }, 150_000);

  afterAll(async () => {
    await Promise.all(apis.map((_, index) => kill(index)));
    await db?.end();
    await forwarder?.stop();
    await sandbox.stop();
    await smtp.stop();
    await Promise.all(SUPPLIERS.map((code) => simulators[code].stop()));
    await database?.drop();
  });

  it('books each reservation once, issues and mails each receipt version once, and loses no event', async () => {
    const client = new RoundRobinClient(ports.map((port) => `http://127.0.0.1:${port}`));
    const run = randomBytes(4).toString('hex');
    const answers = new Map<string, RoundRobinResponse[]>();
    /** Requests sent again once answered, to another process than the one that answered. */
    const replays: { firstBase: string; answer: RoundRobinResponse }[] = [];
    const unexpected: string[] = [];
    let paid = 0;
    let webhookRedeliveries = 0;
    let restarts = 0;
    const started = Date.now();

    // Faults while the load runs: HERTZ and EUROPCAR fail some tries (5xx, or book and never
    // answer); BUDGET is down, so each of its reservations is confirmed by us first, retried
    // by whichever process claims the retry, and gets a second receipt version once booked.
    simulators.HERTZ.setFaults({ errorRate: 0.2, commitThenTimeoutRate: 0.1, holdMs: 1500 });
    simulators.BUDGET.setFaults({ errorRate: 1 });
    simulators.EUROPCAR.setFaults({ errorRate: 0.1, commitThenTimeoutRate: 0.2, holdMs: 1500 });

    const reserveAndPay = async (i: number): Promise<void> => {
      const key = `multi-${run}-${i}`;
      const body = aCreateBody({
        supplier_code: SUPPLIERS[i % SUPPLIERS.length],
        customer: { ...aCreateBody().customer, email: `driver-${i}@example.com` },
      });
      const post = (avoid?: string) => client.send('POST', '/api/v1/reservations', { headers: { 'Idempotency-Key': key }, body, avoid });
      // Every tenth request is sent twice at once (to two processes); every third is replayed
      // on another process once answered.
      const first = i % 10 === 0 ? await Promise.all([post(), post()]) : [await post()];
      const replay = i % 3 === 0 ? await post(first[0].base) : undefined;
      if (replay) replays.push({ firstBase: first[0].base, answer: replay });
      const all = replay ? [...first, replay] : first;
      answers.set(key, all);
      for (const answer of all) if (answer.status !== 202) unexpected.push(`POST ${key}: ${answer.status} ${JSON.stringify(answer.body)}`);
      const code = first[0].body.reservation_code as string;

      // Stripe slow for the request: the outbox creates the PaymentIntent and GET shows it.
      // Its attempts are the progress.
      let paymentIntentId = first[0].body.payment?.payment_intent_id as string | undefined;
      await waitForProgress({
        what: `the PaymentIntent of ${code}`,
        progress: async () => {
          const [event] = await rows<{ attempts: number }>("SELECT attempts FROM outbox_events WHERE type = 'CREATE_PAYMENT_INTENT' AND aggregate_id = ?", [code]);
          return { paymentIntentId, attempts: Number(event?.attempts ?? 0) };
        },
        done: () => paymentIntentId !== undefined,
        tick: async () => {
          const lookup = await client.send('GET', `/api/v1/reservations/${code}?email=${encodeURIComponent(body.customer.email)}`);
          paymentIntentId = lookup.body?.payment?.payment_intent_id as string | undefined;
        },
        stallMs: 60_000,
        pollMs: 250,
      });

      // The customer pays; Stripe delivers the webhook through the balancer and, as Stripe
      // does, delivers it again until a process acknowledges it. Every fourth is delivered twice.
      const { event, delivery } = await sandbox.succeed(paymentIntentId!);
      let status = delivery?.status_code ?? null;
      // Redelivered while something moves: the event recorded, the reservation's status (a
      // process restarting answers 502 meanwhile, and its restart is progress too).
      await waitForProgress({
        what: `the acknowledgement of webhook ${event.id} (${code})`,
        progress: async () => {
          const [state] = await rows<{ status: string; recorded: number }>(
            'SELECT status, (SELECT COUNT(*) FROM stripe_webhook_events WHERE event_id = ?) AS recorded FROM reservations WHERE code = ?',
            [event.id, code],
          );
          return { status: state?.status, recorded: Number(state?.recorded ?? 0), restarts };
        },
        done: () => status === 200,
        tick: async () => {
          if (status !== null && status !== 502) unexpected.push(`webhook ${event.id}: ${status}`);
          webhookRedeliveries++;
          status = await sandbox.deliver(event.id);
        },
        stallMs: 60_000,
        pollMs: 250,
      });
      const again = i % 4 === 1 ? await sandbox.deliver(event.id) : 200;
      if (again !== 200 && again !== 502) unexpected.push(`webhook ${event.id} again: ${again}`);
      paid++;
    };

    // Meanwhile one process dies. The mail server is stopped around the kill and the kill waits
    // until every mail it accepted is recorded: a process killed between the server's 250 and
    // its own record would send that version again, the one gap docs/receipts.md documents.
    const killAndRestart = async (): Promise<{ killedAt: number; restartedAfterMs: number }> => {
      await waitForProgress({ what: 'the payments before the kill', progress: async () => paid, done: (n) => n >= RESERVATIONS * 0.4, stallMs: 60_000, pollMs: 50 });
      await smtp.stop();
      const accepted = () => new Set(smtp.messages.map((mail) => mail.messageId)).size;
      await waitForProgress({
        what: 'the recording of the mails the server accepted',
        progress: async () => Number((await rows<{ recorded: number }>('SELECT COUNT(*) AS recorded FROM receipts WHERE emailed_at IS NOT NULL'))[0].recorded),
        done: (recorded) => recorded === accepted(),
        pollMs: 50,
      });
      const killedAt = Date.now() - started;
      await kill(1);
      await smtp.start(smtpPort);
      const restarting = Date.now();
      await startApi(1, false);
      restarts++;
      return { killedAt, restartedAfterMs: Date.now() - restarting };
    };

    let next = 0;
    const worker = async () => {
      for (let i = next++; i < RESERVATIONS; i = next++) await reserveAndPay(i);
    };
    const [chaos] = await Promise.all([killAndRestart(), ...Array.from({ length: CONCURRENCY }, worker)]);
    const loadMs = Date.now() - started;

    // Every paid reservation has had its first booking run (BUDGET's failed) before the
    // suppliers recover; then the retries, on any process, finish the job.
    await waitForProgress({
      what: 'the first booking runs',
      progress: async () =>
        Number((await rows<{ waiting: number }>("SELECT COUNT(*) AS waiting FROM reservations WHERE status NOT IN ('CONFIRMED_INTERNAL', 'SUPPLIER_CONFIRMED')"))[0].waiting),
      done: (waiting) => waiting === 0,
      stallMs: 60_000,
    });
    for (const code of SUPPLIERS) simulators[code].setFaults({});
    // Settled: every reservation booked, every event done, every receipt mailed. Any of them
    // moving (or an outbox attempt) is progress; the assertions below say what is missing.
    await waitForProgress({
      what: 'the settling of the bookings, events and mails',
      progress: async () => {
        const [state] = await rows<{ unconfirmed: number; open_events: number; unmailed: number; receipts: number; attempts: number }>(
          `SELECT (SELECT COUNT(*) FROM reservations WHERE status <> 'SUPPLIER_CONFIRMED') AS unconfirmed,
                  (SELECT COUNT(*) FROM outbox_events WHERE status <> 'DONE') AS open_events,
                  (SELECT COUNT(*) FROM receipts WHERE emailed_at IS NULL) AS unmailed,
                  (SELECT COUNT(*) FROM receipts) AS receipts,
                  (SELECT COALESCE(SUM(attempts), 0) FROM outbox_events) AS attempts`,
        );
        return { ...Object.fromEntries(Object.entries(state).map(([key, value]) => [key, Number(value)])), mails: smtp.messages.length } as Record<string, number>;
      },
      done: (state) => state.unconfirmed + state.open_events + state.unmailed === 0 && state.mails >= state.receipts,
      stallMs: 60_000,
      pollMs: 250,
    });
    const settledMs = Date.now() - started;
    // A late duplicate would arrive now.
    await sleep(1500);

    expect(unexpected).toEqual([]);

    // Idempotency across processes: one reservation per key, every answer with its code.
    const reservations = await rows<{ code: string; idempotency_key: string; status: string; supplier_code: SimulatedSupplier; supplier_confirmation: string; needs_attention: number }>(
      'SELECT code, idempotency_key, status, supplier_code, supplier_confirmation, needs_attention FROM reservations',
    );
    expect(reservations).toHaveLength(RESERVATIONS);
    const codeByKey = new Map(reservations.map((r) => [r.idempotency_key, r.code]));
    expect(codeByKey.size).toBe(RESERVATIONS);
    const mismatched = [...answers].filter(([key, all]) => all.some((answer) => answer.body.reservation_code !== codeByKey.get(key)));
    expect(mismatched).toEqual([]);
    expect(replays.filter(({ answer }) => answer.headers['idempotent-replayed'] !== 'true')).toEqual([]);
    expect(replays.filter(({ firstBase, answer }) => answer.base !== firstBase).length).toBeGreaterThanOrEqual(replays.length * 0.9);

    // No lost event, no double effect: each payment applied once, every reservation booked.
    const [{ events }] = await rows<{ events: number }>("SELECT COUNT(*) AS events FROM stripe_webhook_events WHERE type = 'payment_intent.succeeded'");
    expect(Number(events)).toBe(RESERVATIONS);
    const history = await rows<{ to_status: string; n: number }>(
      `SELECT h.to_status, COUNT(*) AS n FROM reservation_status_history h
        WHERE h.to_status IN ('PAID', 'SUPPLIER_CONFIRMED') GROUP BY h.to_status, h.reservation_id HAVING COUNT(*) <> 1`,
    );
    expect(history).toEqual([]);
    expect(reservations.filter((r) => r.status !== 'SUPPLIER_CONFIRMED' || r.needs_attention)).toEqual([]);
    const outbox = await rows<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM outbox_events GROUP BY status');
    expect(outbox.map((row) => row.status)).toEqual(['DONE']);

    // No double booking: one booking per code at its supplier, and it is the one we recorded.
    for (const code of SUPPLIERS) {
      const ours = reservations.filter((r) => r.supplier_code === code);
      const booked = simulators[code].bookings();
      expect(booked.size).toBe(ours.length);
      expect(ours.filter((r) => booked.get(r.code) !== r.supplier_confirmation)).toEqual([]);
    }

    // Receipts: versions 1..n per reservation, pending ones then one confirmed, numbers unique.
    const receipts = await rows<{ reservation_code: string; version: number; number: string; supplier_status: string; email_message_id: string }>(
      'SELECT reservation_code, version, number, supplier_status, email_message_id FROM receipts ORDER BY reservation_code, version',
    );
    const versions = new Map<string, { version: number; status: string }[]>();
    for (const receipt of receipts) {
      versions.set(receipt.reservation_code, [...(versions.get(receipt.reservation_code) ?? []), { version: receipt.version, status: receipt.supplier_status }]);
    }
    expect(versions.size).toBe(RESERVATIONS);
    const irregular = [...versions].filter(
      ([, list]) =>
        list.some((receipt, index) => receipt.version !== index + 1) ||
        list.at(-1)!.status !== 'confirmed' ||
        list.slice(0, -1).some((receipt) => receipt.status !== 'pending'),
    );
    expect(irregular).toEqual([]);
    expect(new Set(receipts.map((receipt) => receipt.number)).size).toBe(receipts.length);
    // Every BUDGET reservation was confirmed by us while BUDGET was down: two versions each.
    const budget = reservations.filter((r) => r.supplier_code === 'BUDGET').map((r) => r.code);
    expect(budget.filter((code) => versions.get(code)!.length !== 2)).toEqual([]);

    // Mail: exactly one message per receipt version, with the receipt's Message-ID.
    const expectedIds = receipts.map((receipt) => `<receipt-${receipt.number}@reservations.example>`).sort();
    expect(receipts.map((receipt) => receipt.email_message_id).sort()).toEqual(expectedIds);
    expect(smtp.messages.map((mail) => mail.messageId).sort()).toEqual(expectedIds);

    // The faults did happen, across processes: lookups after ambiguous failures, retried runs.
    const [calls] = await rows<{ lookups: number; retried: number }>(
      `SELECT (SELECT COUNT(*) FROM reservation_supplier_requests WHERE operation = 'lookup') AS lookups,
              (SELECT COUNT(DISTINCT reservation_code) FROM reservation_supplier_requests WHERE attempt > 1) AS retried`,
    );
    expect(Number(calls.lookups)).toBeGreaterThan(0);
    expect(Number(calls.retried)).toBeGreaterThanOrEqual(budget.length);
    // Every process took its share (the killed one before and after its restart).
    expect(client.bases.filter((base) => (client.answeredBy.get(base) ?? 0) < RESERVATIONS / 10)).toEqual([]);

    // The figures quoted in docs/scaling.md.
    if (process.env.MULTI_PROCESS_SUMMARY) {
      const figures = { reservations: RESERVATIONS, processes: PROCESSES, load_ms: loadMs, settled_ms: settledMs, ...chaos };
      const work = { receipts: receipts.length, mails: smtp.messages.length, outbox_events: outbox.reduce((sum, row) => sum + Number(row.n), 0), ...calls };
      const traffic = {
        booking_requests: SUPPLIERS.map((code) => simulators[code].requests),
        answered_by: [...client.answeredBy.values()],
        webhooks_forwarded: [...forwarder.forwardedTo.values()],
        webhook_redeliveries: webhookRedeliveries,
        client_retries: { network: client.networkRetries, conflict: client.conflictRetries },
      };
      process.stdout.write(`${JSON.stringify({ ...figures, ...work, ...traffic })}\n`);
    }
  }, 180_000);
});
