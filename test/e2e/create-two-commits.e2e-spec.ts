import { SchedulerRegistry } from '@nestjs/schedule';
import { ChildProcess, spawn } from 'node:child_process';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { StripeSandbox } from '@app/sandbox';
import { aCreateBody, aKey } from '../support/builders';
import { freePort } from '../support/smtp-server';
import { startTestApp, TestApp } from '../support/test-app';
import { HEAVY_TEST_TIMEOUT_MS, waitForProcess, waitUntil } from '../support/wait-for-progress';

const ROOT = join(__dirname, '..', '..');

/**
 * A create is two commits (ADR 0013): the key's claim with the reservation, its history and the
 * payment's safety net; then the PaymentIntent with the stored answer. Counted here statement by
 * statement as mysql2 sends them on MariaDB, and the promises checked where they could break: a process killed
 * inside the first transaction or between the two, a retry while the first is between them.
 */
describe('a create in two commits (MySQL)', () => {
  let t: TestApp;
  let sandbox: StripeSandbox;
  let recorder: StatementRecorder;

  beforeAll(async () => {
    sandbox = new StripeSandbox({ webhookSecret: 'whsec_tests_secret' });
    const { url } = await sandbox.start();
    // Nothing running by itself: every statement sent during a request is the request's.
    t = await startTestApp('mysql', {
      env: {
        STRIPE_API_BASE: url,
        STRIPE_TIMEOUT_MS: '3000',
        OUTBOX_ENABLED: 'false',
        PAYMENT_JOBS_INTERVAL_MS: '3600000',
      },
    });
    const scheduler = t.app.get(SchedulerRegistry);
    for (const name of scheduler.getIntervals()) scheduler.deleteInterval(name);
    for (const name of scheduler.getTimeouts()) scheduler.deleteTimeout(name);
    for (const name of scheduler.getCronJobs().keys()) scheduler.deleteCronJob(name);
    recorder = recordStatements(t.dataSource);
  });
  afterAll(async () => {
    await t.close();
    await sandbox.stop();
  });
  beforeEach(async () => {
    await t.reset();
    sandbox.clearFaults();
    // The catalog snapshot is cached: a first create loads it, outside what is counted.
    await post(aCreateBody(), aKey()).expect(202);
  });

  const post = (body: object, key: string) =>
    request(t.server).post('/api/v1/reservations').set('Idempotency-Key', key).send(body);
  const count = async (sql: string, parameters: unknown[] = []) =>
    Number((await t.dataSource.query(sql, parameters))[0].n);
  /** Runs `work` and returns the statements sent meanwhile, by kind and table, and the commits among them. */
  const counted = async (work: () => Promise<unknown>) => {
    recorder.start();
    await work();
    const statements = recorder.stop();
    return { statements: statements.map(shape), durableCommits: durableCommits(statements) };
  };

  it('with Stripe answering: 11 statements, 2 commits, and the 202 with the payment', async () => {
    const key = aKey();
    let created!: request.Response;
    const { statements, durableCommits } = await counted(async () => {
      created = await post(aCreateBody(), key).expect(202);
    });
    expect(created.body.status).toBe('PAYMENT_IN_PROGRESS');
    expect(created.body.payment.payment_intent_id).toMatch(/^pi_/);
    expect(statements).toEqual([
      'START TRANSACTION',
      'INSERT INTO `idempotency_keys`',
      'INSERT INTO `reservations`',
      'INSERT INTO `reservation_status_history`',
      'INSERT INTO `outbox_events`',
      'COMMIT',
      'START TRANSACTION',
      'UPDATE `reservations`',
      'INSERT INTO `reservation_status_history`',
      'UPDATE `idempotency_keys`',
      'COMMIT',
    ]);
    expect(durableCommits).toBe(2);
    // What a retry gets back is what was sent.
    const replay = await post(aCreateBody(), key).expect(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers.location).toBe(created.headers.location);
    expect(replay.body).toEqual(created.body);
  });

  it('with Stripe failing: still the 202 (payment null), 7 statements, 2 commits: the answer stored alone', async () => {
    sandbox.injectFault({ operation: 'create_payment_intent', mode: 'error', count: 1 });
    let created!: request.Response;
    const { statements, durableCommits } = await counted(async () => {
      created = await post(aCreateBody(), aKey()).expect(202);
    });
    expect(created.body).toMatchObject({ status: 'CREATED', payment: null });
    expect(statements).toEqual([
      'START TRANSACTION',
      'INSERT INTO `idempotency_keys`',
      'INSERT INTO `reservations`',
      'INSERT INTO `reservation_status_history`',
      'INSERT INTO `outbox_events`',
      'COMMIT',
      'UPDATE `idempotency_keys`',
    ]);
    expect(durableCommits).toBe(2);
  });

  it('a replay commits nothing: the claim fails on the key, then the stored answer is read', async () => {
    const key = aKey();
    await post(aCreateBody(), key).expect(202);
    const { statements, durableCommits } = await counted(async () => {
      const replay = await post(aCreateBody(), key).expect(202);
      expect(replay.headers['idempotent-replayed']).toBe('true');
    });
    expect(statements).toEqual([
      'START TRANSACTION',
      'INSERT INTO `idempotency_keys`',
      'ROLLBACK',
      'SELECT FROM `idempotency_keys`',
    ]);
    expect(durableCommits).toBe(0);
  });

  it('a refused request writes no key: one read, to answer by the key if another request has it', async () => {
    const key = aKey();
    const { statements, durableCommits } = await counted(async () => {
      const refused = await post(aCreateBody({ car_category: 'ZZZZ' }), key).expect(422);
      expect(refused.body.code).toBe('RESERVATION.CAR_CATEGORY_NOT_FOUND');
    });
    expect(statements).toEqual(['SELECT FROM `idempotency_keys`']);
    expect(durableCommits).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM idempotency_keys WHERE idempotency_key = ?', [key])).toBe(
      0,
    );
  });

  it('answers 409 at once to a retry while the first request is between its commits (Stripe slow), then replays its answer', async () => {
    sandbox.injectFault({ operation: 'create_payment_intent', mode: 'timeout', count: 1 });
    const key = aKey();
    const first = post(aCreateBody(), key).then((response) => response);
    await waitUntil(
      async () =>
        (await count(
          `SELECT COUNT(*) AS n FROM idempotency_keys WHERE idempotency_key = ? AND state = 'IN_FLIGHT'`,
          [key],
        )) === 1,
    );
    const retry = await post(aCreateBody(), key).expect(409);
    expect(retry.headers['retry-after']).toBe('1');
    expect(retry.body.code).toBe('IDEMPOTENCY.REQUEST_IN_FLIGHT');
    const answered = await first;
    expect(answered.status).toBe(202);
    expect(answered.body.payment).toBeNull();
    const replay = await post(aCreateBody(), key).expect(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(answered.body);
  });

  describe('another API process on the same database, killed', () => {
    /** A Stripe that takes every request and never answers: the process stays between its commits. */
    let stripe: Server;
    const arrived: IncomingMessage[] = [];
    let apis: Api[];

    beforeAll(async () => {
      stripe = createServer((incoming) => arrived.push(incoming));
      await new Promise<void>((resolve) => stripe.listen(0, '127.0.0.1', resolve));
      const stripeBase = `http://127.0.0.1:${(stripe.address() as AddressInfo).port}`;
      apis = await Promise.all([0, 1].map((index) => startApi(index, t.database.url, stripeBase)));
    }, HEAVY_TEST_TIMEOUT_MS);
    afterAll(async () => {
      for (const api of apis ?? [])
        if (api.process.exitCode === null && api.process.signalCode === null) api.process.kill('SIGKILL');
      stripe.closeAllConnections();
      await new Promise((resolve) => stripe.close(resolve));
    });

    it('between the commits: the key stays IN_FLIGHT (409), then a retry takes it over and completes the same reservation', async () => {
      const [api] = apis;
      const key = aKey();
      const cut = request(api.base)
        .post('/api/v1/reservations')
        .set('Idempotency-Key', key)
        .send(aCreateBody())
        .then(
          () => 'answered',
          () => 'cut',
        );
      // Its call to Stripe comes after the first commit: the reservation and the key are in.
      await waitUntil(() => arrived.length === 1);
      await kill(api);
      expect(await cut).toBe('cut');
      const [reservation] = await t.dataSource.query(
        'SELECT code, status FROM reservations WHERE idempotency_key = ?',
        [key],
      );
      expect(reservation.status).toBe('CREATED');
      expect(
        await count(
          `SELECT COUNT(*) AS n FROM idempotency_keys WHERE idempotency_key = ? AND state = 'IN_FLIGHT'`,
          [key],
        ),
      ).toBe(1);

      // Its lock (IDEMPOTENCY_LOCK_SECONDS=4 there) has not run out: the request may still be alive.
      expect((await post(aCreateBody(), key).expect(409)).body.code).toBe('IDEMPOTENCY.REQUEST_IN_FLIGHT');
      let retried!: request.Response;
      await waitUntil(
        async () => {
          retried = await post(aCreateBody(), key);
          return retried.status !== 409;
        },
        undefined,
        250,
      );
      expect(retried.status).toBe(202);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect(retried.body.reservation_code).toBe(reservation.code);
      expect(retried.body.status).toBe('PAYMENT_IN_PROGRESS');
      expect(await count('SELECT COUNT(*) AS n FROM reservations WHERE idempotency_key = ?', [key])).toBe(1);
      expect(
        sandbox.paymentIntents().filter((intent) => intent.metadata.reservation_code === reservation.code),
      ).toHaveLength(1);
      const replay = await post(aCreateBody(), key).expect(202);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(retried.body);
    });

    it('inside the first transaction: nothing is left of the key, and a retry runs anew at once', async () => {
      const [, api] = apis;
      // The supplier row locked (on a connection of its own: the app's pool has one): the
      // process's reservation insert waits on its foreign key, inside its first transaction.
      const blocker = await createConnection({ uri: t.database.url });
      await blocker.query('START TRANSACTION');
      try {
        await blocker.query("SELECT code FROM suppliers WHERE code = 'HERTZ' FOR UPDATE");
        const key = aKey();
        const cut = request(api.base)
          .post('/api/v1/reservations')
          .set('Idempotency-Key', key)
          .send(aCreateBody())
          .then(
            () => 'answered',
            () => 'cut',
          );
        await waitUntil(
          async () =>
            (await count(
              `SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND command = 'Query' AND info LIKE 'INSERT INTO \`reservations\`%'`,
            )) === 1,
        );
        await kill(api);
        expect(await cut).toBe('cut');
        // The server rolls the dead process's transaction back once its insert gets the lock.
        await blocker.query('COMMIT');

        const retried = await post(aCreateBody(), key).expect(202);
        expect(retried.headers['idempotent-replayed']).toBeUndefined();
        const [reservation] = await t.dataSource.query(
          'SELECT code FROM reservations WHERE idempotency_key = ?',
          [key],
        );
        expect(retried.body.reservation_code).toBe(reservation.code);
        expect(await count('SELECT COUNT(*) AS n FROM reservations WHERE idempotency_key = ?', [key])).toBe(
          1,
        );
      } finally {
        await blocker.end();
      }
    });
  });
});

interface Api {
  process: ChildProcess;
  base: string;
  output: () => string;
}

/**
 * The API as its own process on the test's database (migrated and seeded already), its Stripe at
 * `stripeBase`, on a port the kernel just handed out. Another process of the machine may take
 * that port before the API binds it (the range is the kernel's ephemeral one): then it starts
 * again on another, a few times at most.
 */
async function startApi(index: number, databaseUrl: string, stripeBase: string): Promise<Api> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startApiOn(await freePort(), index, databaseUrl, stripeBase);
    } catch (error) {
      if (attempt >= 3 || !String((error as Error).message).includes('EADDRINUSE')) throw error;
    }
  }
}

async function startApiOn(
  port: number,
  index: number,
  databaseUrl: string,
  stripeBase: string,
): Promise<Api> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        DATABASE_MIGRATE_ON_START: 'false',
        DATABASE_SEED_ON_START: 'false',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        OUTBOX_ENABLED: 'false',
        STRIPE_API_BASE: stripeBase,
        STRIPE_TIMEOUT_MS: '60000',
        IDEMPOTENCY_LOCK_SECONDS: '4',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));
  await waitForProcess(child, {
    what: `API ${index}`,
    ready: () => output.includes('Reservations API listening'),
    output: () => output,
  });
  return { process: child, base: `http://127.0.0.1:${port}`, output: () => output };
}

async function kill(api: Api): Promise<void> {
  api.process.kill('SIGKILL');
  await waitForProcess(api.process, { what: 'the killed API', output: api.output });
}

interface StatementRecorder {
  start(): void;
  stop(): string[];
}

/** Records every statement mysql2 sends on the data source's pool (START TRANSACTION and COMMIT included). */
function recordStatements(dataSource: DataSource): StatementRecorder {
  type Connection = { query: (...args: unknown[]) => unknown };
  type Pool = { getConnection: (callback: (error: unknown, connection?: Connection) => void) => void };
  const pool = (dataSource.driver as unknown as { pool: Pool }).pool;
  const wrapped = new WeakSet<Connection>();
  const statements: string[] = [];
  let recording = false;
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = (callback) =>
    getConnection((error, connection) => {
      if (connection && !wrapped.has(connection)) {
        wrapped.add(connection);
        const query = connection.query.bind(connection);
        connection.query = (statement: unknown, ...rest: unknown[]) => {
          if (recording)
            statements.push(typeof statement === 'string' ? statement : (statement as { sql: string }).sql);
          return query(statement, ...rest);
        };
      }
      callback(error, connection);
    });
  return {
    start: () => {
      statements.length = 0;
      recording = true;
    },
    stop: () => {
      recording = false;
      return [...statements];
    },
  };
}

/** A statement as its kind and table: `INSERT INTO \`reservations\``, `SELECT FROM \`idempotency_keys\``, `COMMIT`. */
function shape(sql: string): string {
  const text = sql.trim();
  const write = /^(INSERT INTO|UPDATE|DELETE FROM) (`[^`]+`)/i.exec(text);
  if (write) return `${write[1].toUpperCase()} ${write[2]}`;
  const read = /^SELECT .*? FROM (`[^`]+`)/is.exec(text);
  if (read) return `SELECT FROM ${read[1]}`;
  return text.toUpperCase();
}

/** Commits that reach the disk: each COMMIT, and each write outside a transaction (autocommit). */
function durableCommits(statements: string[]): number {
  let inTransaction = false;
  let commits = 0;
  for (const statement of statements.map(shape)) {
    if (statement === 'START TRANSACTION') inTransaction = true;
    else if (statement === 'COMMIT') {
      inTransaction = false;
      commits++;
    } else if (statement === 'ROLLBACK') inTransaction = false;
    else if (!inTransaction && !statement.startsWith('SELECT')) commits++;
  }
  return commits;
}
