import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  IPolicy,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import { SupplierAnswer, SupplierBookingRequest, SupplierExchange, SupplierUnavailableError } from './supplier-gateway';
import { SupplierGatewayRegistry } from './adapters/supplier-gateway.registry';

/** One call to a supplier as we record it (`reservation_supplier_requests`), before masking. */
export interface SupplierCallRecord {
  operation: 'book' | 'lookup';
  outcome: 'confirmed' | 'rejected' | 'not_found' | 'unavailable' | 'timeout' | 'circuit_open';
  exchange: SupplierExchange | null;
  error: string | null;
  latencyMs: number;
}

/** What one booking run ended with. */
export type BookingResult =
  | SupplierAnswer
  | { outcome: 'unavailable'; error: string; retryAfterMs?: number };

export interface BookingRun {
  result: BookingResult;
  calls: SupplierCallRecord[];
}

/** What a lookup alone found: the booking, none, or no answer. */
export interface LookupRun {
  result: SupplierAnswer | { outcome: 'not_found' } | { outcome: 'unavailable'; error: string; retryAfterMs?: number };
  calls: SupplierCallRecord[];
}

export interface ResilienceSettings {
  timeoutMs: number;
  breaker: { failures: number; halfOpenAfterMs: number };
  /** Calls within one run after the first (a small retry for blips, not the outage retry). */
  inCallRetries: number;
}

/** Told of every call once its run is over: the metrics. */
export type SupplierCallObserver = (supplierCode: string, call: SupplierCallRecord) => void;

/** A Retry-After longer than this is left to the scheduled retry instead of waiting in the call. */
const MAX_IN_CALL_WAIT_MS = 1000;

const isTransient = (error: Error) =>
  error instanceof TaskCancelledError ||
  (error instanceof SupplierUnavailableError && (error.retryAfterMs ?? 0) <= MAX_IN_CALL_WAIT_MS);

/**
 * Calls the supplier's gateway through cockatiel: per call (lookup or booking) a timeout of its
 * own, per supplier a circuit breaker shared by every booking of this process, and a small
 * jittered retry for blips.
 * After an ambiguous failure (timeout, reset, 5xx: the supplier may have booked) it looks the
 * booking up by our reference before it books again; so does a run that follows an earlier
 * run. Every call is recorded.
 */
export class SupplierBookingClient {
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();

  constructor(
    private readonly gateways: SupplierGatewayRegistry,
    private readonly settings: ResilienceSettings,
    private readonly observe: SupplierCallObserver = () => undefined,
  ) {}

  async book(supplierCode: string, request: SupplierBookingRequest, options: { lookupFirst: boolean }): Promise<BookingRun> {
    const run = await this.run(supplierCode, request, { ...options, lookupOnly: false });
    for (const call of run.calls) this.observe(supplierCode, call);
    return run as BookingRun;
  }

  /** Looks the booking up by our reference and never books: whether the supplier holds one. */
  async lookup(supplierCode: string, request: SupplierBookingRequest): Promise<LookupRun> {
    const run = await this.run(supplierCode, request, { lookupFirst: true, lookupOnly: true });
    for (const call of run.calls) this.observe(supplierCode, call);
    return run;
  }

  private async run(supplierCode: string, request: SupplierBookingRequest, options: { lookupFirst: boolean; lookupOnly: boolean }): Promise<LookupRun> {
    const gateway = this.gateways.for(supplierCode);
    const calls: SupplierCallRecord[] = [];
    let lookupFirst = options.lookupFirst;

    const attempt = (operation: SupplierCallRecord['operation'], signal: AbortSignal, work: (record: (e: SupplierExchange) => void) => Promise<SupplierAnswer | null>) => {
      const call: SupplierCallRecord = { operation, outcome: 'timeout', exchange: null, error: null, latencyMs: 0 };
      calls.push(call);
      const started = performance.now();
      return work((exchange) => (call.exchange = exchange)).then(
        (answer) => {
          call.latencyMs = Math.round(performance.now() - started);
          call.outcome = answer === null ? 'not_found' : answer.outcome;
          return answer;
        },
        (error: unknown) => {
          call.latencyMs = Math.round(performance.now() - started);
          call.outcome = signal.aborted ? 'timeout' : 'unavailable';
          call.error = errorText(error);
          throw error;
        },
      );
    };

    try {
      const answer = await this.policy(supplierCode).execute(async ({ signal: trySignal }) => {
        if (lookupFirst) {
          const found = await this.withinTimeout(trySignal, (signal) =>
            attempt('lookup', signal, (onExchange) => gateway.lookup(request.reference, { signal, onExchange })),
          );
          if (found || options.lookupOnly) return found;
        }
        // From here on the supplier may have booked, unless it told us plainly that it did not.
        const before = lookupFirst;
        lookupFirst = true;
        return this.withinTimeout(trySignal, async (signal) => {
          try {
            return await attempt('book', signal, (onExchange) => gateway.book(request, { signal, onExchange }));
          } catch (error) {
            if (error instanceof SupplierUnavailableError && !error.ambiguous && !signal.aborted) lookupFirst = before;
            throw error;
          }
        });
      });
      return { result: (answer as SupplierAnswer | null) ?? { outcome: 'not_found' }, calls };
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        calls.push({ operation: 'book', outcome: 'circuit_open', exchange: null, error: `${supplierCode} circuit open`, latencyMs: 0 });
        return { result: { outcome: 'unavailable', error: `${supplierCode} is failing: circuit open` }, calls };
      }
      if (error instanceof SupplierUnavailableError || error instanceof TaskCancelledError) {
        const retryAfterMs = error instanceof SupplierUnavailableError ? error.retryAfterMs : undefined;
        return { result: { outcome: 'unavailable', error: errorText(error), retryAfterMs }, calls };
      }
      throw error;
    }
  }

  /** Circuit state per supplier, for operators and metrics. */
  circuitStates(): Record<string, 'closed' | 'open' | 'half_open' | 'isolated'> {
    const names = { [CircuitState.Closed]: 'closed', [CircuitState.Open]: 'open', [CircuitState.HalfOpen]: 'half_open', [CircuitState.Isolated]: 'isolated' } as const;
    return Object.fromEntries(this.gateways.codes().map((code) => [code, names[this.breaker(code).state]]));
  }

  private breaker(supplierCode: string): CircuitBreakerPolicy {
    let breaker = this.breakers.get(supplierCode);
    if (!breaker) {
      // Rejections are answers, not failures: only silence, 5xx and 429 count against a supplier.
      breaker = circuitBreaker(
        handleWhen((error) => error instanceof SupplierUnavailableError || error instanceof TaskCancelledError),
        { halfOpenAfter: this.settings.breaker.halfOpenAfterMs, breaker: new ConsecutiveBreaker(this.settings.breaker.failures) },
      );
      this.breakers.set(supplierCode, breaker);
    }
    return breaker;
  }

  /**
   * retry(breaker(try)): each try (a lookup, then a booking if nothing was found) is counted by
   * the breaker; an open circuit is not retried. Each call of a try has its own timeout
   * (`withinTimeout`), so a slow lookup does not eat the booking's time.
   */
  private policy(supplierCode: string): IPolicy<{ signal: AbortSignal }> {
    const retries = retry(handleWhen(isTransient), {
      maxAttempts: this.settings.inCallRetries,
      backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }),
    });
    return wrap(retries, this.breaker(supplierCode));
  }

  /** One call to the supplier, given SUPPLIER_TIMEOUT_MS of its own; a timeout throws TaskCancelledError. */
  private withinTimeout<T>(parent: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return timeout(this.settings.timeoutMs, TimeoutStrategy.Aggressive).execute(({ signal }) => call(signal), parent);
  }
}

function errorText(error: unknown): string {
  if (error instanceof TaskCancelledError) return 'timed out';
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}
