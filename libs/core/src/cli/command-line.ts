import { ADMIN_ACTOR } from '../admin/admin.guard';

/** Who the status history names for an operator's action from the command line. */
export const CLI_ACTOR = `${ADMIN_ACTOR}:cli`;

/** Prints a command's result as indented JSON on stdout, for people and for `jq` alike. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Parses an option that must be a whole number of at least 1; the error names the flag. */
export function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`);
  return n;
}
