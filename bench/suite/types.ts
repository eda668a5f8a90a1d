/** The shapes of a suite run: what the load sends and measures; the run as docs/perf/suite-latest.json keeps it. */
import { Kind } from './config';
import { SoakSample as ChartSoakSample, SweepLevel } from './chart';

export interface Call {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** One level of a sweep. */
export interface Step extends SweepLevel {
  seconds: number;
  requests: number;
  latency_ms: { p50: number; p95: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non_2xx: number;
  api_cpu_pct: number | null;
}

/** One interval of the soak. */
export interface SoakSample extends ChartSoakSample {
  memory_source: string;
  api_cpu_pct: number | null;
  errors: number;
}

export interface BreakingPoint {
  concurrency: number;
  reason: string;
}

export interface SimultaneousCreations {
  requests: number;
  created: number;
  errors: number;
  distinct_codes_answered: number;
  rows: number;
  distinct_codes_in_db: number;
  answers_match_db: boolean;
  seconds: number;
  latency_ms: { p50: number; p99: number; max: number };
  met: boolean;
}

/** One endpoint swept over every level. */
export interface EndpointRun {
  endpoint: Kind;
  levels: Step[];
  breaking_point: BreakingPoint | null;
  reservations: { rows: number; distinct_codes: number };
  repeated_webhooks: number;
  /** After the create sweep only. */
  simultaneous?: SimultaneousCreations;
}

/** The medians (and the error count) of a third of the soak's samples. */
export interface SoakThird {
  rss_mb: number;
  heap_mb: number | null;
  api_cpu_pct: number | null;
  req_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

export interface SoakVerdict {
  verdict: 'stable' | 'not stable';
  rss_change_pct: number;
  p99_change_pct: number;
  thirds: SoakThird[];
}

export interface SoakRun extends SoakVerdict {
  seconds: number;
  rate_per_s: number;
  sample_s: number;
  totals: Record<string, { requests: number; errors: number }>;
  reservations_by_status: Record<string, number>;
  repeated_webhooks: number;
  samples: SoakSample[];
}

export interface Host {
  cpus: number;
  cpu_model: string;
  load_average_at_start: number[];
  busy_before_start_pct: number | null;
  node: string;
  mariadb: string;
  autocannon: string;
  api_processes: number;
  database_pool_size: number;
}

export interface SeedTargets {
  p95_at_100_users: { level: number; target_ms: number; endpoints: { endpoint: Kind; p95_ms: number; met: boolean }[] };
  simultaneous_creations: SimultaneousCreations;
}

export interface Suite {
  benchmark: 'suite';
  date: string;
  quick: boolean;
  config: {
    levels: number[];
    step_s: number;
    warmup_s: number;
    soak_s: number;
    soak_rate_per_s: number;
    soak_mix: Kind[];
    sample_s: number;
  };
  host: Host;
  endpoints: EndpointRun[];
  seed_targets: SeedTargets;
  soak: SoakRun;
  seconds: number;
}
