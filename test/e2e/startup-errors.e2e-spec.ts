import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitForProcess } from '../support/wait-for-progress';

const ROOT = join(__dirname, '..', '..');
/** EX_CONFIG: the process refused its configuration. */
const CONFIGURATION_ERROR = 78;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the API or the CLI as the operator would, with `env` over the tests' environment (`undefined` unsets). */
async function run(app: 'api' | 'cli', env: Record<string, string | undefined>, args: string[] = []): Promise<Outcome> {
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env, LOG_LEVEL: 'info', ...env })) {
    if (value !== undefined) merged[name] = value;
  }
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', `apps/${app}/src/main.ts`, ...args], {
    cwd: ROOT,
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    // Ends on exit; fails only if the process neither writes nor computes for a minute (it started instead of refusing).
    await waitForProcess(child, { what: `${app} with a bad configuration`, output: () => stdout + stderr });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  return { code: await exited, stdout, stderr };
}

/** One clear message: the variables named, no secret, no stack trace, the configuration exit status. */
function expectCleanRefusal(outcome: Outcome, names: string[], secrets: string[]): void {
  const output = outcome.stdout + outcome.stderr;
  expect({ code: outcome.code, stackTrace: /^\s+at /m.test(output) }).toEqual({ code: CONFIGURATION_ERROR, stackTrace: false });
  for (const name of names) expect(outcome.stderr).toContain(name);
  for (const secret of secrets) expect(output).not.toContain(secret);
}

const sqlite = () => `sqlite:${join(tmpdir(), `rsv_startup_${process.pid}_${Math.random().toString(36).slice(2)}.sqlite`)}`;

/** Bad values of every variable that carries a secret, each with the secret a log must never show. */
const BAD_SECRETS: Record<string, [string, string]> = {
  ADMIN_API_TOKEN: ['adm1n secret value', 'adm1n secret'],
  METRICS_TOKEN: ['short-m3trics', 'short-m3trics'],
  STRIPE_SECRET_KEY: ['pk_live_0123456789abcdef', 'pk_live_0123456789abcdef'],
  STRIPE_WEBHOOK_SECRET: ['whsec t00 short', 'whsec t00'],
  DATABASE_URL: ['postgres://rsv:db-pa55word@db.internal/rsv', 'db-pa55word'],
  SMTP_URL: ['http://mailer:smtp-pa55@mail.example.com', 'smtp-pa55'],
  REDIS_URL: ['http://:redis-pa55@cache.internal:6379', 'redis-pa55'],
  SUPPLIER_BUDGET_URL: ['ftp://budget-t0ken@api.budget.example', 'budget-t0ken'],
};
const badSecretsEnv = Object.fromEntries(Object.entries(BAD_SECRETS).map(([name, [value]]) => [name, value]));
const secretsOnly = Object.values(BAD_SECRETS).map(([, secret]) => secret);

/** Outside the sandbox (a real Stripe key) with no URL for HERTZ: `suppliers` refuses to load. */
const NO_SUPPLIER_URL = {
  SANDBOX: 'false',
  STRIPE_SECRET_KEY: 'sk_live_k3ep-this-0ut-of-logs',
  STRIPE_WEBHOOK_SECRET: 'whsec_k3ep-this-0ut-of-logs',
  SUPPLIER_HERTZ_URL: undefined,
};

describe('a start refused on its configuration: one clear message, never a secret or a stack', () => {
  it('the API names every bad variable and its rule, masking URL credentials and hiding tokens', async () => {
    const outcome = await run('api', { ...badSecretsEnv, PORT: '0' });
    expectCleanRefusal(outcome, Object.keys(BAD_SECRETS), secretsOnly);
    expect(outcome.stderr).toContain('DATABASE_URL="postgres://rsv:***@db.internal/rsv": must start with mysql://');
    expect(outcome.stderr).toContain('ADMIN_API_TOKEN (value not shown: it is a secret): must be at least 16 characters');
  });

  it('the API without a supplier URL outside the sandbox', async () => {
    const outcome = await run('api', { ...NO_SUPPLIER_URL, DATABASE_URL: sqlite(), PORT: '0' });
    expectCleanRefusal(outcome, ['SUPPLIER_HERTZ_URL: required outside the sandbox'], ['k3ep-this-0ut-of-logs']);
  });

  it('the API with a real Stripe key and no webhook secret', async () => {
    const outcome = await run('api', { ...NO_SUPPLIER_URL, SUPPLIER_HERTZ_URL: 'http://127.0.0.1:9', STRIPE_WEBHOOK_SECRET: undefined, DATABASE_URL: sqlite(), PORT: '0' });
    expectCleanRefusal(outcome, ['STRIPE_WEBHOOK_SECRET: required with a real Stripe key'], ['k3ep-this-0ut-of-logs']);
  });

  it('the CLI, for a bad variable and for a missing supplier URL', async () => {
    expectCleanRefusal(await run('cli', badSecretsEnv, ['audit:list']), Object.keys(BAD_SECRETS), secretsOnly);
    expectCleanRefusal(await run('cli', { ...NO_SUPPLIER_URL, DATABASE_URL: sqlite() }, ['audit:list']), ['SUPPLIER_HERTZ_URL'], ['k3ep-this-0ut-of-logs']);
  });

  describe('a bad status webhook configuration (docs/webhooks.md)', () => {
    const webhookSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    // Unset whatever an earlier spec of this worker left in the environment.
    const clean = { DATABASE_URL: sqlite(), PORT: '0', STATUS_WEBHOOK_URL: undefined, STATUS_WEBHOOK_SECRET: undefined, STATUS_WEBHOOK_TIMEOUT_MS: undefined };

    it('STATUS_WEBHOOK_URL set and no secret: names the secret, never shows the URL credentials', async () => {
      const outcome = await run('api', { ...clean, STATUS_WEBHOOK_URL: 'https://merchant:hunter2-pa55@merchant.example/hooks' });
      expectCleanRefusal(outcome, ['STATUS_WEBHOOK_SECRET: required with STATUS_WEBHOOK_URL'], ['hunter2-pa55']);
    });

    it('a relative STATUS_WEBHOOK_URL', async () => {
      const outcome = await run('api', { ...clean, STATUS_WEBHOOK_URL: '/hooks/reservations', STATUS_WEBHOOK_SECRET: webhookSecret });
      expectCleanRefusal(outcome, ['STATUS_WEBHOOK_URL', 'must be an absolute http or https URL'], [webhookSecret]);
    });

    it('a secret that is not a Standard Webhooks secret, without showing it', async () => {
      const outcome = await run('api', { ...clean, STATUS_WEBHOOK_URL: 'https://merchant.example/hooks', STATUS_WEBHOOK_SECRET: 'whsec_t00-short-s3cret' });
      expectCleanRefusal(outcome, ['STATUS_WEBHOOK_SECRET (value not shown: it is a secret)'], ['t00-short-s3cret']);
    });
  });

  describe('as a cluster (MySQL)', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase('mysql');
    });
    afterAll(async () => {
      await database.drop();
    });

    it('stops instead of restarting a worker that refused its configuration, and says so once', async () => {
      const outcome = await run('api', { ...NO_SUPPLIER_URL, DATABASE_URL: database.url, WEB_CONCURRENCY: '2', PORT: '0' });
      expectCleanRefusal(outcome, ['SUPPLIER_HERTZ_URL'], ['k3ep-this-0ut-of-logs']);
      expect(outcome.stderr.match(/SUPPLIER_HERTZ_URL/g)).toHaveLength(1);
      expect(outcome.stderr).not.toContain('starting another');
    });
  });
});
