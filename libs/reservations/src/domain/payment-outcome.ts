/** What Stripe reports of a payment, reduced to what the lifecycle needs. */
export type PaymentOutcome =
  | { kind: 'succeeded' }
  | { kind: 'failed'; failureMessage: string | null }
  | { kind: 'processing' }
  | { kind: 'canceled' };
