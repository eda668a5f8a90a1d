import {
  SupplierAnswer,
  SupplierBookingRequest,
  SupplierCallContext,
  SupplierGateway,
  SupplierGatewayRegistry,
  SupplierUnavailableError,
} from '@app/supplier-booking';
import { Gate } from './gate';

/**
 * What the supplier does with the next call (a booking or a lookup):
 * - confirmed: books (or, for a lookup, answers truthfully);
 * - rejected: refuses a booking (a lookup answers truthfully);
 * - unavailable: 5xx, nothing booked (a non-ambiguous SupplierUnavailableError);
 * - timeoutAfterCommit: books, then the answer is lost (an ambiguous SupplierUnavailableError).
 */
export type SupplierOutcome = 'confirmed' | 'rejected' | 'unavailable' | 'timeoutAfterCommit';

export interface SupplierBooking {
  reference: string;
  supplierCode: string;
  confirmationNumber: string;
  cancelled: boolean;
}

/**
 * Every supplier at once, behind the SupplierGateway port, keeping the ground truth: the
 * bookings held per reference (our reservation code) and whether one was cancelled. Like the
 * real suppliers (../shared/suppliers/README.md) it is idempotent on our reference unless
 * told otherwise, so booking a reference twice returns the first booking.
 */
export class FakeSupplierGateway extends SupplierGateway {
  readonly supplierCode = 'FAKE';
  readonly bookings: SupplierBooking[] = [];
  readonly calls: { operation: 'book' | 'lookup'; reference: string; outcome: SupplierOutcome }[] = [];
  private script: SupplierOutcome[] = [];
  private readonly gates = new Map<string, Gate>();
  private sequence = 0;

  constructor(private readonly options: { idempotentOnReference: boolean } = { idempotentOnReference: true }) {
    super();
  }

  reset(): void {
    this.bookings.length = 0;
    this.calls.length = 0;
    this.script = [];
    this.gates.clear();
  }

  /** The next calls end as given, in order; then every call is answered `confirmed`. */
  next(...outcomes: SupplierOutcome[]): void {
    this.script.push(...outcomes);
  }

  clearScript(): void {
    this.script = [];
  }

  /** The next call about `reference` waits until the gate is released. */
  hold(reference: string): Gate {
    const gate = new Gate();
    this.gates.set(reference, gate);
    return gate;
  }

  /** Drops a hold no call came for. */
  unhold(reference: string): void {
    this.gates.delete(reference);
  }

  /** Bookings held for a reference and not cancelled. */
  liveBookings(reference: string): SupplierBooking[] {
    return this.bookings.filter((booking) => booking.reference === reference && !booking.cancelled);
  }

  /** What an operator does at the supplier's desk. */
  cancel(reference: string): void {
    for (const booking of this.liveBookings(reference)) booking.cancelled = true;
  }

  /** A registry in which every supplier code is this fake. */
  registry(codes: string[] = ['HERTZ', 'BUDGET', 'EUROPCAR']): SupplierGatewayRegistry {
    const registry: Pick<SupplierGatewayRegistry, 'for' | 'codes'> = {
      for: () => this,
      codes: () => [...codes],
    };
    return registry as SupplierGatewayRegistry;
  }

  async book(request: SupplierBookingRequest, context?: SupplierCallContext): Promise<SupplierAnswer> {
    const outcome = await this.arrive('book', request.reference);
    context?.onExchange?.(exchange('POST', request.reference, outcome));
    const existing = this.liveBookings(request.reference)[0];
    switch (outcome) {
      case 'unavailable':
        throw new SupplierUnavailableError('fake supplier: 503', false);
      case 'rejected':
        // A reference booked already is answered with its booking, never refused.
        if (existing && this.options.idempotentOnReference) return { outcome: 'confirmed', confirmationNumber: existing.confirmationNumber };
        return { outcome: 'rejected', code: 'NO_AVAILABILITY', message: 'no car for these dates' };
      case 'confirmed':
        return { outcome: 'confirmed', confirmationNumber: this.booked(request.reference, existing).confirmationNumber };
      case 'timeoutAfterCommit':
        this.booked(request.reference, existing);
        throw new SupplierUnavailableError('fake supplier: timed out after booking', true);
    }
  }

  async lookup(reference: string, context?: SupplierCallContext): Promise<SupplierAnswer | null> {
    const outcome = await this.arrive('lookup', reference);
    context?.onExchange?.(exchange('GET', reference, outcome));
    if (outcome === 'unavailable') throw new SupplierUnavailableError('fake supplier: 503', false);
    if (outcome === 'timeoutAfterCommit') throw new SupplierUnavailableError('fake supplier: lookup timed out', true);
    const existing = this.liveBookings(reference)[0];
    return existing ? { outcome: 'confirmed', confirmationNumber: existing.confirmationNumber } : null;
  }

  private async arrive(operation: 'book' | 'lookup', reference: string): Promise<SupplierOutcome> {
    const gate = this.gates.get(reference);
    if (gate) {
      this.gates.delete(reference);
      await gate.pass();
    }
    const outcome = this.script.shift() ?? 'confirmed';
    this.calls.push({ operation, reference, outcome });
    return outcome;
  }

  private booked(reference: string, existing: SupplierBooking | undefined): SupplierBooking {
    if (existing && this.options.idempotentOnReference) return existing;
    const booking = { reference, supplierCode: 'FAKE', confirmationNumber: `CNF-${++this.sequence}`, cancelled: false };
    this.bookings.push(booking);
    return booking;
  }
}

function exchange(method: string, reference: string, outcome: SupplierOutcome) {
  return {
    method,
    url: `fake://supplier/${reference}`,
    requestBody: null,
    responseStatus: outcome === 'unavailable' ? 503 : outcome === 'timeoutAfterCommit' ? null : 200,
    responseBody: outcome,
    latencyMs: 0,
    error: null,
  };
}
