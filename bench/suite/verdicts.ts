/** The suite's targets and how a run is judged against them: breaking points, seed targets, the soak's stability. */
import { percentile } from '../support';
import { LEVELS, SEED } from './config';
import { BreakingPoint, EndpointRun, SeedTargets, SoakSample, SoakVerdict, Step, Suite } from './types';
import { num, round } from './util';

/** A stored run judged with the current rules (breaking points). */
export function rejudge(suite: Suite): Suite {
  return { ...suite, endpoints: suite.endpoints.map((endpoint) => ({ ...endpoint, breaking_point: breakingPoint(endpoint.levels) })) };
}

/**
 * The lowest level from which on every level fails: p99 over 1 s, errors, or req/s below 90 %
 * of the best of the sweep. A dip that later levels recover from is the noise of a shared
 * 2-core machine, not a break; its reasons are kept in `dips`.
 */
export function breakingPoint(levels: Step[]): BreakingPoint | null {
  const best = Math.max(...levels.map((level) => level.req_per_s));
  const failures = levels.map((level) => {
    const reasons = [];
    if (level.latency_ms.p99 > 1000) reasons.push(`p99 ${num(level.latency_ms.p99)} ms > 1 s`);
    if (level.errors + level.non_2xx > 0) reasons.push(`${num(level.errors)} errors, ${num(level.non_2xx)} non-2xx`);
    if (level.req_per_s < 0.9 * best) reasons.push(`${num(level.req_per_s)} req/s < 90 % of the best, ${num(best)}`);
    return reasons;
  });
  let first = levels.length;
  while (first > 0 && failures[first - 1].length > 0) first--;
  return first < levels.length ? { concurrency: levels[first].concurrency, reason: failures[first].join('; ') } : null;
}

/** p95 under SEED.p95_ms at the level closest to SEED.users, and the simultaneous creations of the create sweep. */
export function seedTargets(endpoints: EndpointRun[]): SeedTargets {
  const level = LEVELS.reduce((best, c) => (Math.abs(c - SEED.users) < Math.abs(best - SEED.users) ? c : best));
  return {
    p95_at_100_users: {
      level,
      target_ms: SEED.p95_ms,
      endpoints: endpoints.map((e) => {
        const p95 = e.levels.find((l) => l.concurrency === level)!.latency_ms.p95;
        return { endpoint: e.endpoint, p95_ms: p95, met: p95 < SEED.p95_ms };
      }),
    },
    simultaneous_creations: endpoints.find((e) => e.endpoint === 'create')!.simultaneous!,
  };
}

/** Stable: the last third's median RSS at most 15 % above the second third's (a drop after a GC is fine), and its median p99 up by 50 % at most. */
export function soakVerdict(samples: SoakSample[]): SoakVerdict {
  const third = (k: number) => samples.slice(Math.round((k * samples.length) / 3), Math.round(((k + 1) * samples.length) / 3));
  const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
  const summary = (part: SoakSample[]) => ({
    rss_mb: median(part.map((s) => s.rss_mb)),
    heap_mb: part.some((s) => s.heap_mb === null) ? null : median(part.map((s) => s.heap_mb!)),
    api_cpu_pct: part.some((s) => s.api_cpu_pct === null) ? null : median(part.map((s) => s.api_cpu_pct!)),
    req_per_s: median(part.map((s) => s.req_per_s)),
    p50_ms: median(part.map((s) => s.p50_ms)),
    p99_ms: median(part.map((s) => s.p99_ms)),
    errors: part.reduce((sum, s) => sum + s.errors, 0),
  });
  const thirds = [summary(third(0)), summary(third(1)), summary(third(2))];
  const rssChange = thirds[2].rss_mb / thirds[1].rss_mb - 1;
  const p99Change = thirds[2].p99_ms / thirds[1].p99_ms - 1;
  const stable = rssChange <= 0.15 && p99Change <= 0.5;
  return { verdict: stable ? 'stable' : 'not stable', rss_change_pct: round(rssChange * 100), p99_change_pct: round(p99Change * 100), thirds };
}
