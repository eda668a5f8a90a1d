import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Waits for work that moves: fails only when nothing has progressed for `stallMs`, never
 * because a total time ran out. A loaded machine is slow, a stuck one is stuck; Jest's
 * per-test timeout stays the wall-clock safety net, not the assertion.
 */
export interface ProgressWait<P> {
  /** What has been done so far (counts, statuses): any change counts as progress. */
  progress: () => Promise<P>;
  /** True when the wait is over. */
  done: (progress: P) => boolean;
  /** Fails after this long without progress; 30 s by default. */
  stallMs?: number;
  pollMs?: number;
  /** Run once per poll, between reads (a chaos monkey, a nudge). */
  tick?: () => Promise<void>;
  /** Stops the wait (throws) once false: a test that Jest has timed out must not live on. */
  alive?: () => boolean;
  /** What is awaited, named in the failure: "the outbox of K7M2Q9XD". */
  what?: string;
}

export const DEFAULT_STALL_MS = 30_000;

export async function waitForProgress<P>(wait: ProgressWait<P>): Promise<P> {
  const stallMs = wait.stallMs ?? DEFAULT_STALL_MS;
  let last = await wait.progress();
  let lastKey = JSON.stringify(last);
  let movedAt = Date.now();
  while (!wait.done(last)) {
    if (wait.alive && !wait.alive()) throw new Error(`wait abandoned: the test has ended (last progress: ${lastKey})`);
    if (Date.now() - movedAt > stallMs) throw new Error(`${wait.what ? `${wait.what}: ` : ''}no progress for ${stallMs} ms: ${lastKey}`);
    await wait.tick?.();
    await new Promise((resolve) => setTimeout(resolve, wait.pollMs ?? 100));
    last = await wait.progress();
    const key = JSON.stringify(last);
    if (key !== lastKey) {
      lastKey = key;
      movedAt = Date.now();
    }
  }
  return last;
}

/** A condition with nothing to count: the whole window is one stall window. */
export async function waitUntil(condition: () => Promise<boolean> | boolean, stallMs = DEFAULT_STALL_MS, pollMs = 25): Promise<void> {
  await waitForProgress({ progress: async () => Boolean(await condition()), done: (met) => met, stallMs, pollMs });
}

/** Jest's safety net for the heavy multi-process tests: generous, since a loaded machine is slow. */
export const HEAVY_TEST_TIMEOUT_MS = 15 * 60_000;

/** A process that neither writes nor uses the CPU for this long is stuck, not slow. */
export const PROCESS_STALL_MS = 60_000;

export interface ProcessWait {
  /** Named in the failure: "API 2", "the cluster". */
  what: string;
  /** Done when true; without it, the wait is for the process to exit. */
  ready?: () => boolean | Promise<boolean>;
  /** The process's output so far, quoted (its tail) in a failure. */
  output?: () => string;
  /** Fails after this long with no output and no CPU time; 60 s by default. */
  stallMs?: number;
  pollMs?: number;
}

/**
 * Waits for a child process to be ready (or, without `ready`, to exit). Its progress is what
 * it writes and the CPU time it and its children use: a busy machine only slows both down, a
 * hung process stops both. Fails at once, with its output, if it exits before it is ready.
 */
export async function waitForProcess(child: ChildProcess, wait: ProcessWait): Promise<void> {
  const stallMs = wait.stallMs ?? PROCESS_STALL_MS;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const detail = () => (wait.output ? `:\n${wait.output().slice(-4000)}` : '');
  let written = 0;
  const count = (chunk: Buffer | string) => (written += chunk.length);
  child.stdout?.on('data', count);
  child.stderr?.on('data', count);
  try {
    let lastKey = '';
    let movedAt = Date.now();
    for (;;) {
      if (wait.ready ? await wait.ready() : exited()) return;
      if (exited()) throw new Error(`${wait.what} exited (${child.exitCode ?? child.signalCode}) before it was ready${detail()}`);
      const key = `${written}:${cpuTicks(child.pid)}`;
      if (key !== lastKey) {
        lastKey = key;
        movedAt = Date.now();
      } else if (Date.now() - movedAt > stallMs) {
        throw new Error(`${wait.what}: no output and no CPU time for ${stallMs} ms, ${wait.ready ? 'not ready' : 'not exited'}${detail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, wait.pollMs ?? 100));
    }
  } finally {
    child.stdout?.off('data', count);
    child.stderr?.off('data', count);
  }
}

/** CPU time (clock ticks) of a process and its descendants, from /proc; 0 where there is no /proc. */
function cpuTicks(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Fields after the command name: state is the 1st, utime the 12th, stime the 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let ticks = Number(fields[11]) + Number(fields[12]);
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) ticks += cpuTicks(Number(child));
    }
    return ticks;
  } catch {
    return 0;
  }
}
