/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and
 * Jitter"): a delay drawn uniformly from [0, min(max, base · 2^(attempt−1))], so that many
 * failing events do not retry in lockstep.
 */
export function backoffDelayMs(
  attempt: number,
  options: { baseMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  return Math.floor(random() * backoffCeilingMs(attempt, options));
}

export function backoffCeilingMs(attempt: number, { baseMs, maxMs }: { baseMs: number; maxMs: number }): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}
