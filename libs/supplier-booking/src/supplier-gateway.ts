/** What we ask a supplier to book: our reservation code is their external reference. */
export interface SupplierBookingRequest {
  reference: string;
  pickup: { officeCode: string; local: string };
  dropoff: { officeCode: string; local: string };
  carCategory: string;
  customer: { firstName: string; lastName: string; email: string; phone: string };
  price: { amount: number; currency: string };
}

/** A supplier's definitive answer. */
export type SupplierAnswer =
  | { outcome: 'confirmed'; confirmationNumber: string }
  | { outcome: 'rejected'; code: string; message: string };

/**
 * No definitive answer: timeout, connection error, 5xx, 429, or a retryable error code.
 * `ambiguous` when the supplier may have booked anyway (we sent the request and got no
 * answer): look the booking up by our reference before booking again.
 */
export class SupplierUnavailableError extends Error {
  constructor(
    message: string,
    readonly ambiguous: boolean,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SupplierUnavailableError';
  }
}

/** One HTTP exchange with a supplier, as sent and received (before masking). */
export interface SupplierExchange {
  method: string;
  url: string;
  requestBody: string | null;
  responseStatus: number | null;
  responseBody: string | null;
  latencyMs: number;
  error: string | null;
}

/** What a caller may add to one call: a way to cancel it, and an ear on the wire. */
export interface SupplierCallContext {
  signal?: AbortSignal;
  onExchange?: (exchange: SupplierExchange) => void;
}

/** One supplier's wire protocol (`../shared/suppliers/README.md`). */
export abstract class SupplierGateway {
  abstract readonly supplierCode: string;
  abstract book(request: SupplierBookingRequest, context?: SupplierCallContext): Promise<SupplierAnswer>;
  /** The booking made under our reference, or null if the supplier has none. */
  abstract lookup(reference: string, context?: SupplierCallContext): Promise<SupplierAnswer | null>;
}

/** `2027-03-01T10:00` → `2027-03-01T10:00:00`, as the suppliers write local times. */
export function withSeconds(local: string): string {
  return local.length === 16 ? `${local}:00` : local;
}
