import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/core';
import { OutboxEvent, OutboxStatus } from '@app/outbox';
import { MIGRATIONS } from '../../migrations';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

/** The operators' command line, run as a separate process against MySQL. */
describe('CLI on MySQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  const cli = (...args: string[]) =>
    run(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(ROOT, 'apps/cli/src/main.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'error' } },
    );

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    dataSource = new DataSource({
      ...buildDataSourceOptions({ url: database.url, migrations: MIGRATIONS, migrationsRun: true }),
      entities: [OutboxEvent],
    });
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('seed: loads the reference data with progress, and again without change', async () => {
    const first = await cli('seed');
    expect(first.stdout).toContain('suppliers: 3 upserted');
    expect(first.stdout).toContain('Done.');
    await cli('seed');
    const [{ n }] = await dataSource.query('SELECT COUNT(*) AS n FROM suppliers');
    expect(Number(n)).toBe(3);
  });

  it('outbox:stats, outbox:list and outbox:requeue', async () => {
    const now = new Date();
    const { identifiers } = await dataSource.getRepository(OutboxEvent).insert({
      type: 'SEND_RECEIPT_EMAIL',
      aggregateType: 'reservation',
      aggregateId: 'K7M2Q9XD',
      payload: '{}',
      status: OutboxStatus.DEAD,
      attempts: 10,
      nextAttemptAt: null,
      lastError: 'Error: SMTP connection refused',
      createdAt: now,
      updatedAt: now,
    });
    const id = Number(identifiers[0].id);

    const stats = JSON.parse((await cli('outbox:stats')).stdout);
    expect(stats.byStatus).toMatchObject({ DEAD: 1, PENDING: 0 });

    const listed = (await cli('outbox:list', '--status', 'DEAD')).stdout;
    expect(listed).toContain(`${id}\tDEAD\tSEND_RECEIPT_EMAIL\treservation:K7M2Q9XD\tattempts=10\tError: SMTP connection refused`);

    expect((await cli('outbox:requeue', String(id))).stdout).toContain(`Event ${id} (SEND_RECEIPT_EMAIL) is PENDING again.`);
    const row = await dataSource.getRepository(OutboxEvent).findOneByOrFail({ id });
    expect(row).toMatchObject({ status: OutboxStatus.PENDING, attempts: 0 });

    await expect(cli('outbox:requeue', String(id))).rejects.toMatchObject({ stderr: expect.stringContaining('is PENDING') });
  });
  it('reservations:list, money-safety and reservations:retry-booking', async () => {
    const paidAt = new Date(Date.now() - 3 * 3600_000);
    await dataSource.query(
      `INSERT INTO reservations (code, status, supplier_code, pickup_office_code, pickup_local, pickup_time_zone, pickup_at,
        dropoff_office_code, dropoff_local, dropoff_time_zone, dropoff_at, car_category_code, customer_first_name,
        customer_last_name, customer_email, customer_phone, amount, currency, payment_intent_id, lock_version, created_at,
        updated_at, paid_at, needs_attention, supplier_attempts, supplier_last_error)
       VALUES ('CKZQ2W3E', 'CONFIRMED_INTERNAL', 'HERTZ', 'MAD-T4', '2027-03-01T10:00', 'Europe/Madrid', ?, 'BCN-T1',
        '2027-03-05T10:00', 'Europe/Madrid', ?, 'CDMR', 'Ana', 'Pérez', 'ana@example.com', '+34600111222', 18950, 'EUR',
        'pi_cli', 4, ?, ?, ?, 1, 2, 'HERTZ rejected: CATEGORY_UNAVAILABLE')`,
      [paidAt, paidAt, paidAt, paidAt, paidAt],
    );

    const listed = (await cli('reservations:list', '--status', 'CONFIRMED_INTERNAL', '--needs-attention', 'true')).stdout;
    expect(listed).toContain('CKZQ2W3E\tCONFIRMED_INTERNAL\tHERTZ\tlock_version=4\tattention=true\tattempts=2\tHERTZ rejected');

    // Something to look at: a non-zero exit, for cron jobs and monitors.
    const check = await cli('money-safety').catch((error: { code: number; stdout: string }) => error);
    expect((check as { code: number }).code).toBe(3);
    expect(JSON.parse(check.stdout).reservations.map((r: { reservation_code: string }) => r.reservation_code)).toEqual(['CKZQ2W3E']);

    await expect(cli('reservations:retry-booking', 'CKZQ2W3E', '--lock-version', '3')).rejects.toMatchObject({
      stderr: expect.stringContaining('changed by someone else'),
    });
    const retried = JSON.parse((await cli('reservations:retry-booking', 'ckzq2w3e', '--lock-version', '4')).stdout);
    expect(retried).toMatchObject({ reservation_code: 'CKZQ2W3E', operations: { lock_version: 5 } });
    const [{ n }] = await dataSource.query(
      "SELECT COUNT(*) AS n FROM outbox_events WHERE type = 'RETRY_SUPPLIER_BOOKING' AND aggregate_id = 'CKZQ2W3E'",
    );
    expect(Number(n)).toBe(1);
    const [{ actor }] = await dataSource.query('SELECT actor FROM reservation_status_history ORDER BY id DESC LIMIT 1');
    expect(actor).toBe('admin:cli');

    // Every command that read personal data or acted is in the audit log, with its outcome.
    const audit: { actor: string; action: string; resource_id: string | null; outcome: string }[] = await dataSource.query(
      "SELECT actor, action, resource_id, outcome FROM audit_log WHERE action NOT LIKE 'admin.outbox.%' ORDER BY id",
    );
    const user = `cli:${process.env.USER ?? userInfo().username}`;
    expect(audit).toEqual([
      { actor: user, action: 'admin.reservations.list', resource_id: null, outcome: 'ok' },
      { actor: user, action: 'admin.money_safety.read', resource_id: null, outcome: 'ok' },
      { actor: user, action: 'admin.reservation.retry_booking', resource_id: 'CKZQ2W3E', outcome: 'RESERVATION.CHANGED_CONCURRENTLY' },
      { actor: user, action: 'admin.reservation.retry_booking', resource_id: 'CKZQ2W3E', outcome: 'ok' },
    ]);
    const listing = (await cli('audit:list', '--resource', 'ckzq2w3e', '--limit', '1')).stdout.trim().split('\t');
    expect(listing).toEqual([expect.stringMatching(/^\d+$/), expect.any(String), user, '-', 'admin.reservation.retry_booking', 'CKZQ2W3E', 'ok', '-']);
  });
});
