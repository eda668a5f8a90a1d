import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForProcess } from '../support/wait-for-progress';

const ROOT = join(__dirname, '..', '..');
/** EX_CONFIG: the process refused its configuration. */
const CONFIGURATION_ERROR = 78;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

interface Outcome {
  code: number | null;
  output: string;
  stderr: string;
}

/** Starts the API as an operator does, with `env` over the tests' environment (`undefined` unsets); resolves when it exits. */
async function runApi(env: Record<string, string | undefined>): Promise<Outcome> {
  const merged: Record<string, string> = {};
  const database = `sqlite:${join(tmpdir(), `rsv_webhook_startup_${process.pid}_${Math.random().toString(36).slice(2)}.sqlite`)}`;
  for (const [name, value] of Object.entries({
    ...process.env,
    LOG_LEVEL: 'info',
    DATABASE_URL: database,
    PORT: '0',
    ...env,
  })) {
    if (value !== undefined) merged[name] = value;
  }
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'],
    {
      cwd: ROOT,
      env: merged,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    // Ends on exit; fails only if the process neither writes nor computes for a minute (it started instead of refusing).
    await waitForProcess(child, {
      what: 'the API with a bad webhook configuration',
      output: () => stdout + stderr,
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  return { code: await exited, output: stdout + stderr, stderr };
}

function expectRefusal(outcome: Outcome, rule: string, hidden: string[]): void {
  expect({ code: outcome.code, stackTrace: /^\s+at /m.test(outcome.output) }).toEqual({
    code: CONFIGURATION_ERROR,
    stackTrace: false,
  });
  expect(outcome.stderr).toContain(rule);
  for (const secret of hidden) expect(outcome.output).not.toContain(secret);
}

describe('the API refuses to start on a bad status webhook configuration', () => {
  // Unset whatever an earlier spec of this worker left in the environment.
  const clean = {
    STATUS_WEBHOOK_URL: undefined,
    STATUS_WEBHOOK_SECRET: undefined,
    STATUS_WEBHOOK_TIMEOUT_MS: undefined,
  };

  it('STATUS_WEBHOOK_URL set and no secret: names the secret, never shows the URL credentials', async () => {
    const outcome = await runApi({
      ...clean,
      STATUS_WEBHOOK_URL: 'https://merchant:hunter2-pa55@merchant.example/hooks',
    });
    expectRefusal(outcome, 'STATUS_WEBHOOK_SECRET: required with STATUS_WEBHOOK_URL', ['hunter2-pa55']);
  });

  it('a relative STATUS_WEBHOOK_URL', async () => {
    const outcome = await runApi({
      ...clean,
      STATUS_WEBHOOK_URL: '/hooks/reservations',
      STATUS_WEBHOOK_SECRET: SECRET,
    });
    expectRefusal(outcome, 'STATUS_WEBHOOK_URL', [SECRET]);
    expect(outcome.stderr).toContain('must be an absolute http or https URL');
  });

  it('a secret that is not a Standard Webhooks secret, without showing it', async () => {
    const outcome = await runApi({
      ...clean,
      STATUS_WEBHOOK_URL: 'https://merchant.example/hooks',
      STATUS_WEBHOOK_SECRET: 'whsec_t00-short-s3cret',
    });
    expectRefusal(outcome, 'STATUS_WEBHOOK_SECRET (value not shown: it is a secret)', ['t00-short-s3cret']);
  });
});
