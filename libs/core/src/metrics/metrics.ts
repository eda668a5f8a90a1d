import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, CounterConfiguration, Gauge, GaugeConfiguration, Histogram, HistogramConfiguration, Registry } from 'prom-client';

/** Latency buckets, in seconds, for HTTP requests and calls to other systems. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * This process's Prometheus metrics (prom-client). Slices declare their own instruments here
 * (`counter`, `gauge`, `histogram`) and may register a collector that refreshes gauges from the
 * database just before a scrape. One registry per application instance, so that several apps
 * in one process (the tests) do not collide.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly collectors: (() => Promise<void>)[] = [];

  /** Every HTTP request: method, route pattern (never the raw path: codes are personal data), status. */
  readonly httpDuration = this.histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: LATENCY_BUCKETS,
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  counter<T extends string>(configuration: Omit<CounterConfiguration<T>, 'registers'>): Counter<T> {
    return new Counter({ ...configuration, registers: [this.registry] });
  }

  gauge<T extends string>(configuration: Omit<GaugeConfiguration<T>, 'registers'>): Gauge<T> {
    return new Gauge({ ...configuration, registers: [this.registry] });
  }

  histogram<T extends string>(configuration: Omit<HistogramConfiguration<T>, 'registers'>): Histogram<T> {
    return new Histogram({ ...configuration, registers: [this.registry] });
  }

  /** Runs before each scrape, for values read from elsewhere (the outbox table, breakers). */
  onScrape(collector: () => Promise<void>): void {
    this.collectors.push(collector);
  }

  /** The exposition text; a collector that fails leaves its gauges as they were. */
  async scrape(): Promise<string> {
    await Promise.allSettled(this.collectors.map((collect) => collect()));
    return this.registry.metrics();
  }
}
