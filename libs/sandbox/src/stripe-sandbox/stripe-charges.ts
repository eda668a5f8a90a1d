import {
  amountParam,
  noSuch,
  SandboxCharge,
  SandboxDispute,
  SandboxPaymentIntent,
  SandboxRefund,
  StripeApiError,
  stripeId,
  unixNow,
} from './stripe-objects';

// Stripe's dispute reasons, as its Dispute object lists them.
const DISPUTE_REASONS = [
  'bank_cannot_process',
  'check_returned',
  'credit_not_processed',
  'customer_initiated',
  'debit_not_authorized',
  'duplicate',
  'fraudulent',
  'general',
  'incorrect_account_details',
  'insufficient_funds',
  'noncompliant',
  'product_not_received',
  'product_unacceptable',
  'subscription_canceled',
  'unrecognized',
];

// The sandbox gives a week to answer a dispute; Stripe's deadline depends on the card network.
const EVIDENCE_SECONDS = 7 * 24 * 60 * 60;

/**
 * The money side of a payment once the customer has paid: its charge, what is captured and
 * refunded of it, and the disputes a cardholder's bank opens on it, with Stripe's rules and
 * error codes. It records no event and speaks no HTTP: the store does both.
 */
export class StripeCharges {
  private byId = new Map<string, SandboxCharge>();
  private refundList: SandboxRefund[] = [];
  private disputeById = new Map<string, SandboxDispute>();

  /** Forgets every charge, refund and dispute (the sandbox's reset). */
  clear(): void {
    this.byId = new Map();
    this.refundList = [];
    this.disputeById = new Map();
  }

  get(id: string): SandboxCharge | undefined {
    return this.byId.get(id);
  }

  list(): SandboxCharge[] {
    return [...this.byId.values()];
  }

  refunds(): SandboxRefund[] {
    return [...this.refundList];
  }

  disputes(): SandboxDispute[] {
    return [...this.disputeById.values()];
  }

  /** The charge, or Stripe's 404 as `GET /v1/charges/{id}` answers it. */
  find(id: string): SandboxCharge {
    const charge = this.byId.get(id);
    if (!charge) throw noSuch('charge', id, 'id');
    return charge;
  }

  /** The intent's latest charge, if the customer has paid it. */
  of(intent: SandboxPaymentIntent): SandboxCharge | undefined {
    return intent.latest_charge ? this.byId.get(intent.latest_charge) : undefined;
  }

  /** The charge of a payment: captured at once, or only held by the bank until `capture_before`. */
  create(intent: SandboxPaymentIntent, hold: { capture_before: number } | null): SandboxCharge {
    const charge: SandboxCharge = {
      id: stripeId('ch_'),
      object: 'charge',
      amount: intent.amount,
      amount_captured: hold ? 0 : intent.amount,
      amount_refunded: 0,
      captured: !hold,
      created: unixNow(),
      currency: intent.currency,
      disputed: false,
      livemode: false,
      metadata: structuredClone(intent.metadata),
      paid: true,
      payment_intent: intent.id,
      payment_method_details: { type: 'card', card: hold ? { capture_before: hold.capture_before } : {} },
      refunded: false,
      status: 'succeeded',
    };
    this.byId.set(charge.id, charge);
    return charge;
  }

  /** A held charge whose `capture_before` has passed: the bank has released it, it cannot be captured. */
  holdExpired(charge: SandboxCharge): boolean {
    const deadline = charge.payment_method_details.card.capture_before;
    return deadline !== undefined && unixNow() > deadline;
  }

  capture(charge: SandboxCharge, amount: number): void {
    charge.captured = true;
    charge.amount_captured = amount;
  }

  /** A refund of what was captured and is not refunded yet, never more (Stripe's rules and codes). */
  refund(
    intent: SandboxPaymentIntent | undefined,
    params: Record<string, unknown>,
  ): { refund: SandboxRefund; charge: SandboxCharge } {
    if (!intent) throw noSuch('payment_intent', String(params.payment_intent), 'payment_intent');
    const charge = this.refundable(intent);
    const left = charge.amount_captured - charge.amount_refunded;
    if (left <= 0) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        code: 'charge_already_refunded',
        message: `Charge ${charge.id} has already been refunded.`,
      });
    }
    const amount = amountParam(params.amount, 'amount', left);
    if (amount > left) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        code: 'amount_too_large',
        param: 'amount',
        message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
      });
    }
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount_captured;
    const refund: SandboxRefund = {
      id: stripeId('re_'),
      object: 'refund',
      amount,
      charge: charge.id,
      currency: intent.currency,
      payment_intent: intent.id,
      status: 'succeeded',
      reason: typeof params.reason === 'string' ? params.reason : null,
      metadata: (params.metadata as Record<string, string>) ?? {},
      created: unixNow(),
    };
    this.refundList.push(refund);
    return { refund, charge };
  }

  /** What has been refunded of an intent so far. */
  refundedAmount(paymentIntentId: string): number {
    return this.refundList
      .filter((r) => r.payment_intent === paymentIntentId)
      .reduce((sum, r) => sum + r.amount, 0);
  }

  /** A cardholder's bank disputes a captured payment; a charge has one dispute at most, as at Stripe. */
  openDispute(intent: SandboxPaymentIntent | undefined, params: Record<string, unknown>): SandboxDispute {
    if (!intent) throw noSuch('payment_intent', String(params.payment_intent), 'payment_intent');
    const charge = this.of(intent);
    if (intent.status !== 'succeeded' || !charge) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        code: 'charge_not_captured',
        message: `Only a captured payment can be disputed; this PaymentIntent has a status of ${intent.status}.`,
      });
    }
    if (charge.disputed) {
      throw new StripeApiError(409, {
        type: 'invalid_request_error',
        code: 'charge_disputed',
        message: `Charge ${charge.id} has already been disputed.`,
      });
    }
    const reason = params.reason ?? 'fraudulent';
    if (typeof reason !== 'string' || !DISPUTE_REASONS.includes(reason)) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        param: 'reason',
        message: `Invalid reason: must be one of ${DISPUTE_REASONS.join(', ')}`,
      });
    }
    const amount = amountParam(params.amount, 'amount', charge.amount_captured);
    if (amount > charge.amount_captured) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        code: 'amount_too_large',
        param: 'amount',
        message: `Dispute amount (${amount}) is greater than the captured amount (${charge.amount_captured})`,
      });
    }
    charge.disputed = true;
    const dispute = newDispute(charge, amount, reason);
    this.disputeById.set(dispute.id, dispute);
    return dispute;
  }

  /** The dispute's outcome, once: a closed dispute stays as it was closed. */
  closeDispute(id: string, params: Record<string, unknown>): SandboxDispute {
    const dispute = this.disputeById.get(id);
    if (!dispute) throw noSuch('dispute', id, 'id');
    if (params.status !== 'won' && params.status !== 'lost') {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        param: 'status',
        message: 'Invalid status: must be one of won or lost',
      });
    }
    if (dispute.status !== 'needs_response') {
      throw new StripeApiError(409, {
        type: 'invalid_request_error',
        message: `Dispute ${id} is already closed as ${dispute.status}.`,
      });
    }
    dispute.status = params.status;
    return dispute;
  }

  /**
   * The charge a refund would come out of: a held payment is released by cancelling it, not
   * refunded, and a charge in an open or lost dispute has been charged back already.
   */
  private refundable(intent: SandboxPaymentIntent): SandboxCharge {
    const charge = this.of(intent);
    if (intent.status === 'requires_capture') {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        code: 'charge_not_captured',
        message:
          'This PaymentIntent has a status of requires_capture: its charge is not captured, cancel it to release the authorization.',
      });
    }
    if (intent.status !== 'succeeded' || !charge) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        code: 'charge_not_refundable',
        message: `This PaymentIntent has a status of ${intent.status}; only a succeeded one can be refunded.`,
      });
    }
    if (this.disputes().some((dispute) => dispute.charge === charge.id && dispute.status !== 'won')) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        code: 'charge_disputed',
        message: `Charge ${charge.id} has been charged back; it cannot be refunded.`,
      });
    }
    return charge;
  }
}

function newDispute(charge: SandboxCharge, amount: number, reason: string): SandboxDispute {
  const created = unixNow();
  return {
    id: stripeId('dp_'),
    object: 'dispute',
    amount,
    charge: charge.id,
    created,
    currency: charge.currency,
    evidence_details: {
      due_by: created + EVIDENCE_SECONDS,
      has_evidence: false,
      past_due: false,
      submission_count: 0,
    },
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: charge.payment_intent,
    reason,
    status: 'needs_response',
  };
}
