import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { SupplierSimulator } from '@app/sandbox';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitForProcess, waitForProgress, waitUntil } from '../support/wait-for-progress';

const ROOT = join(__dirname, '..', '..');

/**
 * A real crash: the API process is SIGKILLed while the supplier is booking (after our request
 * left, before its answer came). The supplier keeps the booking; the next process redoes the
 * run, finds the booking by our reference and records it: one car, the supplier's number.
 */
describe('supplier booking survives a SIGKILL mid-call (MySQL, separate processes)', () => {
  let database: TestDatabase;
  const simulator = new SupplierSimulator('BUDGET');
  const processes: ChildProcess[] = [];
  const port = 37_000 + (process.pid % 1000);

  const startApi = async (supplierUrl: string): Promise<ChildProcess> => {
    let output = '';
    const api = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        DATABASE_SEED_ON_START: 'true',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        SUPPLIER_BUDGET_URL: supplierUrl,
        SUPPLIER_TIMEOUT_MS: '5000',
        OUTBOX_POLL_INTERVAL_MS: '100',
        OUTBOX_LEASE_MS: '2000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    processes.push(api);
    api.stdout!.on('data', (chunk) => (output += String(chunk)));
    api.stderr!.on('data', (chunk) => (output += String(chunk)));
    await waitForProcess(api, { what: 'the API', ready: () => output.includes('Reservations API listening'), output: () => output });
    return api;
  };

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
  });
  afterAll(async () => {
    for (const api of processes) if (api.exitCode === null && api.signalCode === null) api.kill('SIGKILL');
    await simulator.stop();
    await database.drop();
  });

  it('books once, with the supplier’s number, after the process died mid-call', async () => {
    const { url } = await simulator.start();
    // The supplier takes 1.5 s to answer, and books at the end of it even if we are gone.
    simulator.setFaults({ latencyMs: 1500 });
    const first = await startApi(url);

    const db = await createConnection({ uri: database.url, timezone: 'Z' });
    const now = new Date();
    await db.query(
      `INSERT INTO reservations (code, status, supplier_code, pickup_office_code, pickup_local, pickup_time_zone, pickup_at,
        dropoff_office_code, dropoff_local, dropoff_time_zone, dropoff_at, car_category_code, customer_first_name,
        customer_last_name, customer_email, customer_phone, amount, currency, payment_intent_id, lock_version, created_at,
        updated_at, paid_at)
       VALUES ('KXQ2M9TD', 'PAID', 'BUDGET', 'MAD-T4', '2027-03-01T10:00', 'Europe/Madrid', ?, 'BCN-T1', '2027-03-05T10:00',
        'Europe/Madrid', ?, 'CDMR', 'Ana', 'Pérez', 'ana@example.com', '+34600111222', 18950, 'EUR', 'pi_crash', 2, ?, ?, ?)`,
      [now, now, now, now, now],
    );
    await db.query(
      `INSERT INTO outbox_events (type, lane, aggregate_type, aggregate_id, payload, status, attempts, next_attempt_at, created_at, updated_at)
       VALUES ('BOOK_WITH_SUPPLIER', 'bookings', 'reservation', 'KXQ2M9TD', '{"reservationCode":"KXQ2M9TD"}', 'PENDING', 0, ?, ?, ?)`,
      [now, now, now],
    );

    await waitUntil(() => simulator.received >= 1);
    first.kill('SIGKILL');
    await waitForProcess(first, { what: 'the SIGKILLed API' });
    // The supplier finishes the booking nobody will hear about.
    await waitUntil(() => simulator.bookings().has('KXQ2M9TD'));
    simulator.setFaults({});

    await startApi(url);
    const status = async () => (await db.query("SELECT status, supplier_confirmation FROM reservations WHERE code = 'KXQ2M9TD'"))[0] as { status: string; supplier_confirmation: string }[];
    // The second process takes the run over once the first one's lease lapses: its attempts and the status move.
    await waitForProgress({
      progress: async () => ({
        status: (await status())[0].status,
        event: ((await db.query("SELECT status, attempts FROM outbox_events WHERE type = 'BOOK_WITH_SUPPLIER'"))[0] as unknown[])[0],
      }),
      done: ({ status }) => status === 'SUPPLIER_CONFIRMED',
    });

    expect((await status())[0].supplier_confirmation).toBe(simulator.bookings().get('KXQ2M9TD'));
    expect(simulator.bookings().size).toBe(1);
    // One booking request ever: the second run asked "do you have KXQ2M9TD?" and did not book.
    expect(simulator.requests).toBe(1);
    const [calls] = await db.query("SELECT attempt, operation, outcome FROM reservation_supplier_requests WHERE reservation_code = 'KXQ2M9TD' ORDER BY id");
    expect(calls).toEqual([{ attempt: 1, operation: 'lookup', outcome: 'confirmed' }]);
    const [[event]] = (await db.query("SELECT status, attempts FROM outbox_events WHERE type = 'BOOK_WITH_SUPPLIER'")) as unknown as [[{ status: string; attempts: number }]];
    expect(event).toEqual({ status: 'DONE', attempts: 2 });
    await db.end();
  }, 120_000);
});
