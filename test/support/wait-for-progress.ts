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
}

export const DEFAULT_STALL_MS = 30_000;

export async function waitForProgress<P>(wait: ProgressWait<P>): Promise<P> {
  const stallMs = wait.stallMs ?? DEFAULT_STALL_MS;
  let last = await wait.progress();
  let lastKey = JSON.stringify(last);
  let movedAt = Date.now();
  while (!wait.done(last)) {
    if (wait.alive && !wait.alive()) throw new Error(`wait abandoned: the test has ended (last progress: ${lastKey})`);
    if (Date.now() - movedAt > stallMs) throw new Error(`no progress for ${stallMs} ms: ${lastKey}`);
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
