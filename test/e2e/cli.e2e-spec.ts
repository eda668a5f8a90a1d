import { execFile } from 'node:child_process';
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
});
