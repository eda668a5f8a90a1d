import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOtelEnvFile } from './tracing-env';

describe('applyOtelEnvFile', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tracing-env-'));
    file = join(dir, '.env');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("takes the file's OTEL_* lines the environment lacks, and nothing else", () => {
    writeFileSync(
      file,
      [
        'OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318',
        'OTEL_SERVICE_NAME="from the file"',
        '# OTEL_TRACES_SAMPLER=always_off',
        'DATABASE_URL=mysql://root@db/app',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = { NODE_ENV: 'production', OTEL_SERVICE_NAME: 'from the environment' };

    expect(applyOtelEnvFile(env, file)).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT']);
    expect(env).toEqual({
      NODE_ENV: 'production',
      OTEL_SERVICE_NAME: 'from the environment',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
  });

  it('reads nothing under NODE_ENV=test, as the configuration module does', () => {
    writeFileSync(file, 'OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318\n');
    const env: NodeJS.ProcessEnv = { NODE_ENV: 'test' };

    expect(applyOtelEnvFile(env, file)).toEqual([]);
    expect(env).toEqual({ NODE_ENV: 'test' });
  });

  it('does nothing without a file', () => {
    const env: NodeJS.ProcessEnv = {};

    expect(applyOtelEnvFile(env, join(dir, 'missing.env'))).toEqual([]);
    expect(env).toEqual({});
  });
});
