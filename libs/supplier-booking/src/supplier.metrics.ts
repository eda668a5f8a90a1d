import { Injectable } from '@nestjs/common';
import { Histogram } from 'prom-client';
import { LATENCY_BUCKETS, Metrics } from '@app/core';
import { SupplierCallRecord } from './supplier-booking.client';

const CIRCUIT_VALUES = { closed: 0, half_open: 1, open: 2, isolated: 3 } as const;

/** Every supplier call (latency and outcome), and each supplier's circuit as this process sees it. */
@Injectable()
export class SupplierMetrics {
  private readonly calls: Histogram<'supplier' | 'operation' | 'outcome'>;

  constructor(private readonly metrics: Metrics) {
    this.calls = metrics.histogram({
      name: 'supplier_call_duration_seconds',
      help: 'Calls to suppliers: latency by supplier, operation (book, lookup) and outcome',
      labelNames: ['supplier', 'operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
    });
  }

  observeCall(supplier: string, call: SupplierCallRecord): void {
    this.calls.observe({ supplier, operation: call.operation, outcome: call.outcome }, call.latencyMs / 1000);
  }

  /** `supplier_circuit_state`: 0 closed, 1 half-open, 2 open, 3 isolated; read at each scrape. */
  watchCircuits(states: () => Record<string, keyof typeof CIRCUIT_VALUES>): void {
    const gauge = this.metrics.gauge({
      name: 'supplier_circuit_state',
      help: 'Circuit breaker per supplier in this process: 0 closed, 1 half-open, 2 open, 3 isolated',
      labelNames: ['supplier'],
    });
    this.metrics.onScrape(async () => {
      for (const [supplier, state] of Object.entries(states())) gauge.set({ supplier }, CIRCUIT_VALUES[state]);
    });
  }
}
