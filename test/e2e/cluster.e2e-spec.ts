import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { aCreateBody, aKey } from '../support/builders';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitForProcess } from '../support/wait-for-progress';

const ROOT = join(__dirname, '..', '..');

/** `WEB_CONCURRENCY=2`: two API workers on one port and one MySQL database, as in production. */
describe('the API as a cluster of processes (MySQL)', () => {
  let database: TestDatabase;
  let api: ChildProcess;
  let output = '';
  const port = 38_000 + (process.pid % 1000);
  const base = `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    api = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: database.url, PORT: String(port), HOST: '127.0.0.1', WEB_CONCURRENCY: '2', LOG_LEVEL: 'info', DATABASE_SEED_ON_START: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    api.stdout!.on('data', (chunk) => (output += String(chunk)));
    api.stderr!.on('data', (chunk) => (output += String(chunk)));
    await waitForProcess(api, {
      what: 'the cluster',
      ready: () => (output.match(/Reservations API listening/g) ?? []).length >= 2,
      output: () => output,
    });
  });
  afterAll(async () => {
    if (api.exitCode === null && api.signalCode === null) {
      api.kill('SIGKILL');
    }
    await database.drop();
  });

  it('starts two workers (the first migrates and seeds) and serves concurrent requests', async () => {
    const pids = new Set((output.match(/"pid":(\d+)[^\n]*Reservations API listening/g) ?? []).map((line) => line.split(',')[0]));
    expect(pids.size).toBe(2);
    const responses = await Promise.all(
      Array.from({ length: 40 }, () => request(base).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(aCreateBody())),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(40).fill(202));
  });

  it('shuts every worker down on SIGTERM', async () => {
    api.kill('SIGTERM');
    await waitForProcess(api, { what: 'the cluster after SIGTERM', output: () => output });
    await expect(request(base).get('/health/live')).rejects.toThrow();
  });
});
