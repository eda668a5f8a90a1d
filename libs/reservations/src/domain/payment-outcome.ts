/** What Stripe reports of a payment, reduced to what the lifecycle needs. */
export type PaymentOutcome =
  | { kind: 'succeeded' }
  /** The money is held on the card (a manual-capture intent in `requires_capture`). */
  | { kind: 'authorized'; captureBefore: Date | null }
  | { kind: 'failed'; failureMessage: string | null }
  | { kind: 'processing' }
  | { kind: 'canceled' };

/** How a PaymentIntent takes the money: at once, or held until we capture it. */
export type CaptureMethod = 'automatic' | 'manual';
