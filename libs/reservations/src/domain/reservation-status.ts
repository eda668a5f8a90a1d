export enum ReservationStatus {
  CREATED = 'CREATED',
  PAYMENT_IN_PROGRESS = 'PAYMENT_IN_PROGRESS',
  PAYMENT_FAILED = 'PAYMENT_FAILED',
  PAID = 'PAID',
  SUPPLIER_CONFIRMED = 'SUPPLIER_CONFIRMED',
  CONFIRMED_INTERNAL = 'CONFIRMED_INTERNAL',
  EXPIRED = 'EXPIRED',
  REFUNDED = 'REFUNDED',
}

const S = ReservationStatus;

/**
 * The lifecycle of SPEC §2 as data: every move a reservation may make. A success is never
 * lost, so PAID is reachable from every unpaid state, EXPIRED included; a failed payment may
 * be retried by the customer on the same PaymentIntent.
 */
export const ALLOWED_TRANSITIONS: Readonly<Record<ReservationStatus, readonly ReservationStatus[]>> = {
  [S.CREATED]: [S.PAYMENT_IN_PROGRESS, S.PAYMENT_FAILED, S.PAID, S.EXPIRED],
  [S.PAYMENT_IN_PROGRESS]: [S.PAYMENT_FAILED, S.PAID, S.EXPIRED],
  [S.PAYMENT_FAILED]: [S.PAYMENT_IN_PROGRESS, S.PAID, S.EXPIRED],
  [S.EXPIRED]: [S.PAID],
  [S.PAID]: [S.SUPPLIER_CONFIRMED, S.CONFIRMED_INTERNAL],
  [S.CONFIRMED_INTERNAL]: [S.SUPPLIER_CONFIRMED, S.REFUNDED],
  [S.SUPPLIER_CONFIRMED]: [],
  [S.REFUNDED]: [],
};

export function canTransition(from: ReservationStatus, to: ReservationStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

/** The values of `progress.payment` and `progress.supplier`, also listed in the OpenAPI document. */
export const PAYMENT_PROGRESS_VALUES = ['pending', 'succeeded', 'failed', 'refunded'] as const;
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
  [S.PAID]: 'succeeded',
  [S.SUPPLIER_CONFIRMED]: 'succeeded',
  [S.CONFIRMED_INTERNAL]: 'succeeded',
  [S.REFUNDED]: 'refunded',
};

const SUPPLIER_PROGRESS: Record<ReservationStatus, SupplierProgress> = {
  [S.CREATED]: 'pending',
  [S.PAYMENT_IN_PROGRESS]: 'pending',
  [S.PAYMENT_FAILED]: 'pending',
  [S.EXPIRED]: 'cancelled',
  [S.PAID]: 'pending',
  [S.SUPPLIER_CONFIRMED]: 'confirmed',
  [S.CONFIRMED_INTERNAL]: 'retrying',
  [S.REFUNDED]: 'cancelled',
};

/**
 * The client-facing view of a status: "in process" until code, payment and supplier are done.
 * A CONFIRMED_INTERNAL reservation the supplier refused for good reads `rejected`: nothing will
 * retry it until an operator acts (retry or refund).
 */
export function progressOf(status: ReservationStatus, facts: { supplierRejected?: boolean } = {}): Progress {
  const supplier = status === S.CONFIRMED_INTERNAL && facts.supplierRejected ? 'rejected' : SUPPLIER_PROGRESS[status];
  return { code: 'issued', payment: PAYMENT_PROGRESS[status], supplier };
}
