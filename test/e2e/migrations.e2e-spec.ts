import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/core';
import { MIGRATIONS } from '../../migrations';
import { MoneySafety1764000000010 } from '../../migrations/1764000000010-money-safety';
import { PaymentChecks1764000000011 } from '../../migrations/1764000000011-payment-checks';
import { OutboxLanes1764000000012 } from '../../migrations/1764000000012-outbox-lanes';
import { PaymentCapture1764000000013 } from '../../migrations/1764000000013-payment-capture';
import { StripeMoneyEvents1764000000014 } from '../../migrations/1764000000014-stripe-money-events';
import { TraceContext1764000000015 } from '../../migrations/1764000000015-trace-context';
import { createTestDatabase, DATABASE_KINDS, DatabaseKind, TestDatabase } from '../support/test-database';

const run = promisify(execFile);

/** A data source on `database` with `migrations` applied. */
async function migrated(database: TestDatabase, migrations: typeof MIGRATIONS): Promise<DataSource> {
  const dataSource = new DataSource(buildDataSourceOptions({ url: database.url, migrations, migrationsRun: false }));
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}

/** The reference rows the reservations of these tests point at. */
async function seedCatalog(dataSource: DataSource): Promise<void> {
  await dataSource.query("INSERT INTO suppliers (code, name, active) VALUES ('HERTZ', 'Hertz', 1)");
  for (const office of ['MAD-T4', 'BCN-T1']) {
    await dataSource.query(
      "INSERT INTO offices (supplier_code, code, name, city, country, time_zone, active) VALUES ('HERTZ', ?, ?, 'X', 'ES', 'Europe/Madrid', 1)",
      [office, office],
    );
  }
  await dataSource.query("INSERT INTO car_categories (code, description) VALUES ('CDMR', 'Compact')");
}

/** A table's column names, on either database. */
async function columnsOf(dataSource: DataSource, kind: DatabaseKind, table: string): Promise<string[]> {
  return kind === 'sqlite'
    ? (await dataSource.query(`PRAGMA table_info(${table})`)).map((c: { name: string }) => c.name)
    : (await dataSource.query(`SHOW COLUMNS FROM ${table}`)).map((c: { Field: string }) => c.Field);
}

/** A table's index names, sorted, on either database (MySQL lists an index once per column). */
async function indexesOf(dataSource: DataSource, kind: DatabaseKind, table: string): Promise<string[]> {
  const names: string[] =
    kind === 'sqlite'
      ? (await dataSource.query(`PRAGMA index_list(${table})`)).map((i: { name: string }) => i.name)
      : (await dataSource.query(`SHOW INDEX FROM ${table}`)).map((i: { Key_name: string }) => i.Key_name);
  return [...new Set(names)].sort();
}

/** Upgrading a database that already holds reservations, and going back. */
describe.each(DATABASE_KINDS)('migrations on %s', (kind) => {
  let database: TestDatabase;
  const open = (migrations: typeof MIGRATIONS) => migrated(database, migrations);

  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('supplier booking: reservations paid before it get paid_at from their last change; down removes it all', async () => {
    const before = await open(MIGRATIONS.slice(0, 5));
    await seedCatalog(before);
    const insert = (code: string, status: string, updatedAt: string) =>
      before.query(
        `INSERT INTO reservations (code, status, supplier_code, pickup_office_code, pickup_local, pickup_time_zone, pickup_at,
          dropoff_office_code, dropoff_local, dropoff_time_zone, dropoff_at, car_category_code, customer_first_name,
          customer_last_name, customer_email, customer_phone, amount, currency, lock_version, created_at, updated_at)
         VALUES (?, ?, 'HERTZ', 'MAD-T4', '2027-03-01T10:00', 'Europe/Madrid', '2027-03-01 09:00:00', 'BCN-T1',
          '2027-03-05T10:00', 'Europe/Madrid', '2027-03-05 09:00:00', 'CDMR', 'Ana', 'Pérez', 'ana@example.com',
          '+34600111222', 18950, 'EUR', 1, '2026-11-01 10:00:00', ?)`,
        [code, status, updatedAt],
      );
    await insert('PAIDPAID', 'PAID', '2026-11-01 10:05:00');
    await insert('WAITWAIT', 'PAYMENT_IN_PROGRESS', '2026-11-01 10:06:00');
    await before.destroy();

    const after = await open(MIGRATIONS);
    const rows: Record<string, unknown>[] = await after.query(
      `SELECT code, CASE WHEN paid_at IS NULL THEN 'none' WHEN paid_at = updated_at THEN 'last change' ELSE 'other' END AS paid,
              needs_attention, supplier_attempts FROM reservations ORDER BY code`,
    );
    expect(rows.map((row) => [row.code, row.paid, Number(row.needs_attention), Number(row.supplier_attempts)])).toEqual([
      ['PAIDPAID', 'last change', 0, 0],
      ['WAITWAIT', 'none', 0, 0],
    ]);
    expect(await after.query('SELECT COUNT(*) AS n FROM reservation_supplier_requests')).toEqual([{ n: expect.anything() }]);

    const columns = (table: string) => columnsOf(after, kind, table);

    // Migrations after the audit log have tests of their own: undo them first.
    const lastApplied = async () => ((await after.query('SELECT name FROM schema_migrations ORDER BY id DESC LIMIT 1')) as { name: string }[])[0].name;
    while ((await lastApplied()) !== 'AuditLog1764000000009') await after.undoLastMigration({ transaction: 'each' });
    // Down: the audit log (9), receipt e-mails (8), receipts (7), then supplier booking (6).
    expect(await after.query('SELECT COUNT(*) AS n FROM audit_log')).toEqual([{ n: expect.anything() }]);
    await after.undoLastMigration({ transaction: 'each' });
    await expect(after.query('SELECT COUNT(*) FROM audit_log')).rejects.toThrow();
    expect(await columns('receipts')).toEqual(expect.arrayContaining(['email_claimed_until', 'emailed_at', 'email_message_id']));
    await after.undoLastMigration({ transaction: 'each' });
    expect(await columns('receipts')).not.toContain('emailed_at');
    expect(await columns('receipts')).toContain('number');
    await after.undoLastMigration({ transaction: 'each' });
    await expect(after.query('SELECT COUNT(*) FROM receipts')).rejects.toThrow();
    await after.undoLastMigration({ transaction: 'each' });
    const reservationColumns = await columns('reservations');
    expect(reservationColumns).not.toContain('paid_at');
    expect(reservationColumns).not.toContain('needs_attention');
    await expect(after.query('SELECT COUNT(*) FROM reservation_supplier_requests')).rejects.toThrow();
    await after.destroy();
  });
});

describe.each(DATABASE_KINDS)('migration 11 (payment checks) on %s', (kind) => {
  let database: TestDatabase;
  const open = (migrations: typeof MIGRATIONS) => migrated(database, migrations);

  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('rejections recorded before it get supplier_rejected_at from their last change; down removes its columns and index', async () => {
    const index = MIGRATIONS.indexOf(PaymentChecks1764000000011);
    const before = await open(MIGRATIONS.slice(0, index));
    await seedCatalog(before);
    const insert = (code: string, status: string, lastError: string | null, intent: string | null) =>
      before.query(
        `INSERT INTO reservations (code, status, supplier_code, pickup_office_code, pickup_local, pickup_time_zone, pickup_at,
          dropoff_office_code, dropoff_local, dropoff_time_zone, dropoff_at, car_category_code, customer_first_name,
          customer_last_name, customer_email, customer_phone, amount, currency, lock_version, created_at, updated_at,
          supplier_last_error, payment_intent_id)
         VALUES (?, ?, 'HERTZ', 'MAD-T4', '2027-03-01T10:00', 'Europe/Madrid', '2027-03-01 09:00:00', 'BCN-T1',
          '2027-03-05T10:00', 'Europe/Madrid', '2027-03-05 09:00:00', 'CDMR', 'Ana', 'Pérez', 'ana@example.com',
          '+34600111222', 18950, 'EUR', 1, '2026-11-01 10:00:00', '2026-11-01 10:07:00', ?, ?)`,
        [code, status, lastError, intent],
      );
    await insert('REJECTED', 'CONFIRMED_INTERNAL', 'HERTZ rejected: CATEGORY_UNAVAILABLE category unavailable', 'pi_1');
    await insert('DEFERRED', 'CONFIRMED_INTERNAL', 'POST http://hertz/ota/VehRes: HTTP 503', 'pi_2');
    await insert('EXPIREDX', 'EXPIRED', null, 'pi_3');
    await before.destroy();

    const after = await open(MIGRATIONS.slice(0, index + 1));
    const rows: Record<string, unknown>[] = await after.query(
      `SELECT code, CASE WHEN supplier_rejected_at IS NULL THEN 'none' WHEN supplier_rejected_at = updated_at THEN 'last change' ELSE 'other' END AS rejected,
              payment_intent_canceled_at, payment_checked_at FROM reservations ORDER BY code`,
    );
    expect(rows.map((row) => [row.code, row.rejected, row.payment_intent_canceled_at, row.payment_checked_at])).toEqual([
      ['DEFERRED', 'none', null, null],
      ['EXPIREDX', 'none', null, null],
      ['REJECTED', 'last change', null, null],
    ]);
    const columns = () => columnsOf(after, kind, 'reservations');
    const indexes = () => indexesOf(after, kind, 'reservations');
    expect(await indexes()).toContain('IX_reservations_status_payment_check');

    await after.undoLastMigration({ transaction: 'each' });
    for (const column of ['supplier_rejected_at', 'payment_intent_canceled_at', 'payment_checked_at']) expect(await columns()).not.toContain(column);
    expect(await columns()).toContain('paid_at');
    expect(await indexes()).not.toContain('IX_reservations_status_payment_check');
    expect(await after.query('SELECT COUNT(*) AS n FROM reservations')).toEqual([{ n: expect.anything() }]);
    await after.destroy();
  });
});

describe.each(DATABASE_KINDS)('migration 10 (money safety) on %s', (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('a refund under way becomes one of unknown outcome; kept keys give their reservation its fingerprint; down removes the columns', async () => {
    const index = MIGRATIONS.indexOf(MoneySafety1764000000010);
    const before = await migrated(database, MIGRATIONS.slice(0, index));
    await seedCatalog(before);
    const insert = (code: string, key: string | null, refundRequestedAt: string | null) =>
      before.query(
        `INSERT INTO reservations (code, idempotency_key, status, supplier_code, pickup_office_code, pickup_local, pickup_time_zone, pickup_at,
          dropoff_office_code, dropoff_local, dropoff_time_zone, dropoff_at, car_category_code, customer_first_name,
          customer_last_name, customer_email, customer_phone, amount, currency, lock_version, created_at, updated_at, refund_requested_at)
         VALUES (?, ?, 'CONFIRMED_INTERNAL', 'HERTZ', 'MAD-T4', '2027-03-01T10:00', 'Europe/Madrid', '2027-03-01 09:00:00', 'BCN-T1',
          '2027-03-05T10:00', 'Europe/Madrid', '2027-03-05 09:00:00', 'CDMR', 'Ana', 'Pérez', 'ana@example.com',
          '+34600111222', 18950, 'EUR', 1, '2026-11-01 10:00:00', '2026-11-01 10:07:00', ?)`,
        [code, key, refundRequestedAt],
      );
    await insert('KEPTKEY2', 'key-still-kept', null);
    await insert('GONEKEY2', 'key-reaped-long-ago', '2026-11-01 11:00:00');
    await before.query(
      `INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, state, locked_until, created_at, expires_at)
       VALUES ('POST /api/v1/reservations', 'key-still-kept', ?, 'COMPLETED', '2026-11-01 10:01:00', '2026-11-01 10:00:00', '2026-11-02 10:00:00')`,
      ['a'.repeat(64)],
    );
    await before.destroy();

    const after = await migrated(database, MIGRATIONS.slice(0, index + 1));
    const rows: Record<string, unknown>[] = await after.query(
      'SELECT code, idempotency_fingerprint, refund_state, refund_last_error FROM reservations ORDER BY code',
    );
    expect(rows.map((row) => [row.code, row.idempotency_fingerprint, row.refund_state, row.refund_last_error])).toEqual([
      ['GONEKEY2', null, 'UNKNOWN', null],
      ['KEPTKEY2', 'a'.repeat(64), null, null],
    ]);
    await after.undoLastMigration({ transaction: 'each' });
    const columns = await columnsOf(after, kind, 'reservations');
    for (const column of ['idempotency_fingerprint', 'refund_state', 'refund_last_error']) expect(columns).not.toContain(column);
    expect(columns).toContain('refund_requested_at');
    await after.destroy();
  });
});

type Table = 'reservations' | 'outbox_events';
type Schema = Record<Table, { columns: string[]; indexes: string[]; rows: Record<string, unknown>[] }>;

/** The columns, indexes and rows of the tables migrations 12 to 15 change. */
async function schemaOf(dataSource: DataSource, kind: DatabaseKind): Promise<Schema> {
  const table = async (name: Table) => ({
    columns: (await columnsOf(dataSource, kind, name)).sort(),
    indexes: await indexesOf(dataSource, kind, name),
    rows: await dataSource.query(`SELECT * FROM ${name} ORDER BY id`),
  });
  return { reservations: await table('reservations'), outbox_events: await table('outbox_events') };
}

/** Reservations and outbox events as the schema before migration 12 wrote them: one of each paid or done, one still under way. */
async function seedReservationsAndEvents(dataSource: DataSource): Promise<void> {
  await seedCatalog(dataSource);
  for (const [code, status, intent] of [
    ['PAIDHOLD', 'PAID', 'pi_hold_1'],
    ['WAITHOLD', 'PAYMENT_IN_PROGRESS', null],
  ]) {
    await dataSource.query(
      `INSERT INTO reservations (code, status, supplier_code, pickup_office_code, pickup_local, pickup_time_zone, pickup_at,
        dropoff_office_code, dropoff_local, dropoff_time_zone, dropoff_at, car_category_code, customer_first_name,
        customer_last_name, customer_email, customer_phone, amount, currency, lock_version, created_at, updated_at, payment_intent_id)
       VALUES (?, ?, 'HERTZ', 'MAD-T4', '2027-03-01T10:00', 'Europe/Madrid', '2027-03-01 09:00:00', 'BCN-T1',
        '2027-03-05T10:00', 'Europe/Madrid', '2027-03-05 09:00:00', 'CDMR', 'Ana', 'Pérez', 'ana@example.com',
        '+34600111222', 18950, 'EUR', 1, '2026-11-01 10:00:00', '2026-11-01 10:05:00', ?)`,
      [code, status, intent],
    );
  }
  for (const [type, status, nextAttemptAt, processedAt] of [
    ['ISSUE_RECEIPT', 'DONE', null, '2026-11-01 10:06:00'],
    ['BOOK_WITH_SUPPLIER', 'PENDING', '2026-11-01 10:07:00', null],
  ]) {
    await dataSource.query(
      `INSERT INTO outbox_events (type, aggregate_type, aggregate_id, payload, status, attempts, next_attempt_at, created_at, updated_at, processed_at)
       VALUES (?, 'reservation', '1', '{}', ?, 1, ?, '2026-11-01 10:05:00', '2026-11-01 10:05:00', ?)`,
      [type, status, nextAttemptAt, processedAt],
    );
  }
}

/** What each migration adds: its columns with the value rows written before it read there, and its indexes. */
const LATER_MIGRATIONS: {
  migration: (typeof MIGRATIONS)[number];
  title: string;
  added: Partial<Record<Table, Record<string, unknown>>>;
  indexes: Partial<Record<Table, string[]>>;
}[] = [
  {
    migration: OutboxLanes1764000000012,
    title: 'migration 12 (outbox lanes): events queued before it are in the default lane',
    added: { outbox_events: { lane: 'default' } },
    indexes: { outbox_events: ['IX_outbox_events_lane_due'] },
  },
  {
    migration: PaymentCapture1764000000013,
    title: 'migration 13 (payment capture): reservations before it were charged at once, no hold recorded',
    added: {
      reservations: {
        capture_method: 'automatic',
        authorized_at: null,
        capture_before: null,
        capture_requested_at: null,
        captured_at: null,
        capture_last_error: null,
        released_at: null,
      },
    },
    indexes: {},
  },
  {
    migration: StripeMoneyEvents1764000000014,
    title: 'migration 14 (Stripe money events): reservations before it have no dispute; indexes for lookups',
    added: {
      reservations: { dispute_id: null, dispute_status: null, dispute_reason: null, disputed_at: null },
    },
    indexes: { reservations: ['IX_reservations_dispute_status', 'IX_reservations_payment_intent'] },
  },
  {
    migration: TraceContext1764000000015,
    title: 'migration 15 (trace context): events and reservations before it have no trace context',
    added: { outbox_events: { trace_context: null }, reservations: { trace_context: null } },
    indexes: {},
  },
];

/** The schema `older` should have after a migration that adds `added` and `indexes`. */
function upgraded(older: Schema, { added, indexes }: (typeof LATER_MIGRATIONS)[number]): Schema {
  const table = (name: Table) => ({
    columns: [...older[name].columns, ...Object.keys(added[name] ?? {})].sort(),
    indexes: [...older[name].indexes, ...(indexes[name] ?? [])].sort(),
    rows: older[name].rows.map((row) => ({ ...row, ...added[name] })),
  });
  return { reservations: table('reservations'), outbox_events: table('outbox_events') };
}

describe.each(DATABASE_KINDS)('migrations 12 to 15 on %s', (kind) => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await database.drop();
  });

  it.each(LATER_MIGRATIONS)('$title; down removes exactly what it added; up again', async (later) => {
    const index = MIGRATIONS.indexOf(later.migration);
    const before = await migrated(database, MIGRATIONS.slice(0, index));
    await seedReservationsAndEvents(before);
    const older = await schemaOf(before, kind);
    await before.destroy();
    expect([older.reservations.rows.length, older.outbox_events.rows.length]).toEqual([2, 2]);

    const after = await migrated(database, MIGRATIONS.slice(0, index + 1));
    try {
      expect(await schemaOf(after, kind)).toEqual(upgraded(older, later));
      await after.undoLastMigration({ transaction: 'each' });
      expect(await schemaOf(after, kind)).toEqual(older);
      await after.runMigrations({ transaction: 'each' });
      expect(await schemaOf(after, kind)).toEqual(upgraded(older, later));
    } finally {
      await after.destroy();
    }
  });
});

/** Several processes starting together on an empty MySQL database (separate hosts, a rolling deploy). */
describe('migrations at start on MySQL, several processes at once', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('migrate one after the other under a lock: each migration applied once, no process failing or retrying', async () => {
    const root = join(__dirname, '..', '..');
    const start = () =>
      run(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(root, 'apps/cli/src/main.ts'), 'outbox:stats'], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: database.url, DATABASE_MIGRATE_ON_START: 'true', LOG_LEVEL: 'warn' },
      });
    const results = await Promise.allSettled(Array.from({ length: 4 }, start));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [String((result.reason as { stderr?: string }).stderr ?? result.reason)] : []));
    expect(failures).toEqual([]);
    // TypeORM would have retried a failed start ("Unable to connect to the database. Retrying").
    const output = results.map((result) => (result.status === 'fulfilled' ? result.value.stderr + result.value.stdout : '')).join('\n');
    expect(output).not.toMatch(/Retrying|Duplicate|already exists/);

    const dataSource = new DataSource(buildDataSourceOptions({ url: database.url }));
    await dataSource.initialize();
    try {
      const applied: { name: string }[] = await dataSource.query('SELECT name FROM schema_migrations ORDER BY id');
      expect(applied.map((row) => row.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
    } finally {
      await dataSource.destroy();
    }
  });
});
