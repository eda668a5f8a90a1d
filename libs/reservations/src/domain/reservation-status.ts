export enum ReservationStatus {
  CREATED = 'CREATED',
  PAYMENT_IN_PROGRESS = 'PAYMENT_IN_PROGRESS',
  PAYMENT_FAILED = 'PAYMENT_FAILED',
  /** The money is held on the card, not taken (`PAYMENT_CAPTURE=after_supplier_confirmation`). */
  AUTHORIZED = 'AUTHORIZED',
  PAID = 'PAID',
  SUPPLIER_CONFIRMED = 'SUPPLIER_CONFIRMED',
  CONFIRMED_INTERNAL = 'CONFIRMED_INTERNAL',
  EXPIRED = 'EXPIRED',
  REFUNDED = 'REFUNDED',
  /** The hold was cancelled: nothing was charged (the supplier refused, or the deadline policy). */
  RELEASED = 'RELEASED',
}

const S = ReservationStatus;

/**
 * The lifecycle of SPEC §2 as data: every move a reservation may make. A success is never
 * lost, so PAID (or, with a hold, AUTHORIZED) is reachable from every unpaid state, EXPIRED
 * included; a failed payment may be retried by the customer on the same PaymentIntent. A held
 * reservation is booked from AUTHORIZED, and CONFIRMED_INTERNAL keeps the hold while the
 * supplier is retried; AUTHORIZED becomes PAID when the deadline policy captures before booking.
 */
export const ALLOWED_TRANSITIONS: Readonly<Record<ReservationStatus, readonly ReservationStatus[]>> = {
  [S.CREATED]: [S.PAYMENT_IN_PROGRESS, S.PAYMENT_FAILED, S.AUTHORIZED, S.PAID, S.EXPIRED],
  [S.PAYMENT_IN_PROGRESS]: [S.PAYMENT_FAILED, S.AUTHORIZED, S.PAID, S.EXPIRED],
  [S.PAYMENT_FAILED]: [S.PAYMENT_IN_PROGRESS, S.AUTHORIZED, S.PAID, S.EXPIRED],
  [S.EXPIRED]: [S.AUTHORIZED, S.PAID],
  [S.AUTHORIZED]: [S.PAID, S.SUPPLIER_CONFIRMED, S.CONFIRMED_INTERNAL, S.RELEASED],
  [S.PAID]: [S.SUPPLIER_CONFIRMED, S.CONFIRMED_INTERNAL],
  [S.CONFIRMED_INTERNAL]: [S.SUPPLIER_CONFIRMED, S.REFUNDED, S.RELEASED],
  [S.SUPPLIER_CONFIRMED]: [],
  [S.REFUNDED]: [],
  [S.RELEASED]: [],
};

export function canTransition(from: ReservationStatus, to: ReservationStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

/** The values of `progress.payment` and `progress.supplier`, also listed in the OpenAPI document. */
export const PAYMENT_PROGRESS_VALUES = ['pending', 'authorized', 'succeeded', 'failed', 'released', 'refunded'] as const;
export const SUPPLIER_PROGRESS_VALUES = ['pending', 'confirmed', 'retrying', 'rejected', 'cancelled'] as const;
export type PaymentProgress = (typeof PAYMENT_PROGRESS_VALUES)[number];
export type SupplierProgress = (typeof SUPPLIER_PROGRESS_VALUES)[number];

export interface Progress {
  code: 'issued';
  payment: PaymentProgress;
  supplier: SupplierProgress;
}

const PAYMENT_PROGRESS: Record<ReservationStatus, PaymentProgress> = {
  [S.CREATED]: 'pending',
  [S.PAYMENT_IN_PROGRESS]: 'pending',
  [S.PAYMENT_FAILED]: 'failed',
  [S.EXPIRED]: 'failed',
  [S.AUTHORIZED]: 'authorized',
  [S.PAID]: 'succeeded',
  [S.SUPPLIER_CONFIRMED]: 'succeeded',
  [S.CONFIRMED_INTERNAL]: 'succeeded',
  [S.REFUNDED]: 'refunded',
  [S.RELEASED]: 'released',
};

const SUPPLIER_PROGRESS: Record<ReservationStatus, SupplierProgress> = {
  [S.CREATED]: 'pending',
  [S.PAYMENT_IN_PROGRESS]: 'pending',
  [S.PAYMENT_FAILED]: 'pending',
  [S.EXPIRED]: 'cancelled',
  [S.AUTHORIZED]: 'pending',
  [S.PAID]: 'pending',
  [S.SUPPLIER_CONFIRMED]: 'confirmed',
  [S.CONFIRMED_INTERNAL]: 'retrying',
  [S.REFUNDED]: 'cancelled',
  [S.RELEASED]: 'cancelled',
};

/** What the status alone does not say, for `progressOf`. */
export interface ProgressFacts {
  /** The supplier refused it for good (its latest word). */
  supplierRejected?: boolean;
  /** The supplier booked it (a held reservation waits for its capture with this). */
  supplierConfirmed?: boolean;
  /** The money is held on the card, not yet taken. */
  held?: boolean;
}

/**
 * The client-facing view of a status: "in process" until code, payment and supplier are done.
 * A CONFIRMED_INTERNAL reservation the supplier refused for good reads `rejected`: nothing will
 * retry it until an operator acts (retry or refund); a RELEASED one it refused reads `rejected`
 * too. A hold reads `authorized` until it is captured, and a booking the supplier confirmed
 * reads `confirmed` while its capture is under way.
 */
export function progressOf(status: ReservationStatus, facts: ProgressFacts = {}): Progress {
  const refusable = status === S.CONFIRMED_INTERNAL || status === S.RELEASED;
  let supplier = SUPPLIER_PROGRESS[status];
  if (refusable && facts.supplierRejected) supplier = 'rejected';
  else if (facts.supplierConfirmed && (status === S.AUTHORIZED || status === S.CONFIRMED_INTERNAL)) supplier = 'confirmed';
  const payment = facts.held && status === S.CONFIRMED_INTERNAL ? 'authorized' : PAYMENT_PROGRESS[status];
  return { code: 'issued', payment, supplier };
}
