import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

/**
 * Puts the `OTEL_*` lines of the app's `.env` file into `env`, each only where the real
 * environment does not have it, and returns their names. Tracing starts before the config
 * module reads `.env` (`libs/core/src/config/index.ts`), so without this an `OTEL_*` set there
 * would be ignored. Same file, same rules as that module (`ConfigModule.forRoot` defaults):
 * `.env` in the working directory, ignored when `NODE_ENV=test`, the real environment wins, no
 * `${VAR}` expansion; only `OTEL_*` keys are taken here, the config module reads the rest later.
 */
export function applyOtelEnvFile(
  env: NodeJS.ProcessEnv = process.env,
  path: string = resolve(process.cwd(), '.env'),
): string[] {
  if (env.NODE_ENV === 'test' || !existsSync(path)) return [];
  const applied: string[] = [];
  for (const [name, value] of Object.entries(dotenvOfConfigModule().parse(readFileSync(path)))) {
    if (!name.startsWith('OTEL_') || name in env) continue;
    env[name] = value;
    applied.push(name);
  }
  return applied;
}

/** The `dotenv` that @nestjs/config itself uses (its dependency, not ours): the same parser for the same file. */
function dotenvOfConfigModule(): typeof import('dotenv') {
  return createRequire(require.resolve('@nestjs/config'))('dotenv') as typeof import('dotenv');
}
