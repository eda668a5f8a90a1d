import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withServerConnection } from './mysql-server';

// Names of the worker databases of a run, and their removal. Kept apart from worker-database.ts
// so that the global setup and teardown (plain Node, no `@app/*` paths) can load it.

const NAME = /^rsv_it_w\d+_(\d+)_[0-9a-f]+$/;
/** A killed run cannot drop its databases; a later run drops those older than this. */
const LEFTOVER_AGE_MS = 12 * 3600_000;

/** Names a run: seconds since the epoch (the age of a leftover), then random. */
export function newRunId(): string {
  return `${Math.floor(Date.now() / 1000)}_${randomBytes(3).toString('hex')}`;
}

/** `rsv_it_w<worker>_<run>`: one per Jest worker and run (and kind: a MySQL database and a SQLite file of that name). */
export function workerDatabaseName(workerId: string): string {
  const runId = process.env.TEST_RUN_ID;
  if (!runId) throw new Error('TEST_RUN_ID is not set: run the tests through jest.config.js, whose global setup names the run');
  return `rsv_it_w${workerId}_${runId}`;
}

export function workerSqliteFile(name: string): string {
  return join(tmpdir(), `${name}.sqlite`);
}

/** Drops the worker databases of one run (the global teardown), or those of runs older than 12 h (the global setup). */
export async function dropWorkerDatabases(which: { runId: string } | { leftovers: true }): Promise<string[]> {
  const matches = (name: string) => {
    const found = NAME.exec(name);
    if (!found) return false;
    if ('runId' in which) return name.endsWith(`_${which.runId}`);
    return Date.now() - Number(found[1]) * 1000 > LEFTOVER_AGE_MS;
  };
  const dropped: string[] = [];
  await withServerConnection(async (run) => {
    const [rows] = (await run("SHOW DATABASES LIKE 'rsv\\_it\\_w%'")) as [Record<string, string>[]];
    for (const name of rows.map((row) => Object.values(row)[0]).filter(matches)) {
      await run(`DROP DATABASE IF EXISTS \`${name}\``);
      dropped.push(name);
    }
  });
  for (const file of readdirSync(tmpdir())) {
    const found = /^(rsv_it_w\d+_\d+_[0-9a-f]+)\.sqlite(-wal|-shm)?$/.exec(file);
    if (!found || !matches(found[1])) continue;
    rmSync(join(tmpdir(), file), { force: true });
    if (!found[2]) dropped.push(file);
  }
  return dropped;
}
