import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { BookingRunNotDueError, IllegalTransitionError, ReservationActionNotAllowedError } from './reservation.errors';
import { canTransition, progressOf, Progress, ReservationStatus } from './domain/reservation-status';
import { CaptureMethod, PaymentOutcome } from './domain/payment-outcome';
import { LocalTime } from './domain/rental-period';

/**
 * What is known of a refund while it is under way: REQUESTED (asked, answer awaited) or
 * UNKNOWN (Stripe's answer was lost: it may have refunded; the outbox settles it).
 */
export type RefundState = 'REQUESTED' | 'UNKNOWN';

/** What operators read on a reservation both refunded and booked. */
export const CANCEL_SUPPLIER_BOOKING = 'The supplier confirmed a booking of a refunded reservation: cancel the supplier booking.';

/** What operators read on a held reservation the supplier booked whose capture Stripe refused. */
export const CAPTURE_REFUSED = 'The supplier booked it, but Stripe refused the capture (the hold expired or was cancelled): cancel the supplier booking, or charge the customer again.';

/** What operators read on a released reservation the supplier booked all the same. */
export const CANCEL_RELEASED_BOOKING = 'The supplier confirmed a booking of a released reservation (nothing was charged): cancel the supplier booking.';

/** What operators read on a released reservation whose payment Stripe captured all the same. */
export const CAPTURED_AFTER_RELEASE = 'Released, but Stripe reports the payment captured: refund it at Stripe.';

/** What operators read on a booked reservation whose payment was refunded in full at Stripe. */
export const REFUNDED_AT_STRIPE_AFTER_BOOKING =
  'Refunded in full at Stripe after the supplier booked it: cancel the supplier booking, or charge the customer again.';

/** A dispute's open statuses, in the order Stripe moves them: an inquiry (`warning_*`) may become a chargeback, evidence moves it under review. */
const DISPUTE_OPEN_STATUSES: readonly string[] = ['warning_needs_response', 'warning_under_review', 'needs_response', 'under_review'];
/** A dispute's final statuses: an older event never reopens one. */
const DISPUTE_FINAL_STATUSES: readonly string[] = ['won', 'lost', 'warning_closed', 'charge_refunded', 'prevented'];
/** The statuses an operator must act on: open (evidence is due), or lost (the bank took the money back). */
export const DISPUTE_ACTION_STATUSES: readonly string[] = [...DISPUTE_OPEN_STATUSES, 'lost'];

/**
 * How far along a dispute is. Events may arrive in any order: one that would move a dispute
 * back is an older one.
 */
function disputeStage(status: string | null): number {
  if (status === null) return -1;
  return DISPUTE_FINAL_STATUSES.includes(status) ? DISPUTE_OPEN_STATUSES.length : DISPUTE_OPEN_STATUSES.indexOf(status);
}

/** What Stripe reports of a dispute of a reservation's charge. */
export interface DisputeFacts {
  id: string;
  /** Stripe's status: needs_response, under_review, won, lost, warning_*, … */
  status: string;
  /** Stripe's reason: fraudulent, product_not_received, … */
  reason: string;
}

/** What a refund made at Stripe (`charge.refunded`) did to a reservation; false when it told nothing new. */
export type StripeRefundEffect = 'refunded' | 'flagged' | 'recorded' | false;

/** States in which a reservation is waiting for its money. */
export const UNPAID: readonly ReservationStatus[] = [
  ReservationStatus.CREATED,
  ReservationStatus.PAYMENT_IN_PROGRESS,
  ReservationStatus.PAYMENT_FAILED,
];

export interface StatusChange {
  from: ReservationStatus | null;
  to: ReservationStatus;
  cause: string;
  actor: string | null;
}

export interface NewReservation {
  code: string;
  idempotencyKey: string | null;
  /** Fingerprint of the creating request (with `idempotencyKey`). */
  idempotencyFingerprint?: string | null;
  supplierCode: string;
  pickupOfficeCode: string;
  pickup: LocalTime;
  dropoffOfficeCode: string;
  dropoff: LocalTime;
  carCategoryCode: string;
  customer: { firstName: string; lastName: string; email: string; phone: string };
  price: { amount: number; currency: string };
  /** The trace of the creating request (`currentTraceContext`), when tracing is on. */
  traceContext?: string | null;
}

/**
 * A reservation and its lifecycle rules. Status changes go through `transitionTo`, which
 * refuses what SPEC §2 forbids and remembers each change for the status history; the
 * repository writes them with an optimistic lock on `lockVersion`.
 */
@Entity({ name: 'reservations' })
export class Reservation {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index('UQ_reservations_code', { unique: true })
  @Column({ type: 'varchar', length: 8 })
  code!: string;

  /** The Idempotency-Key that created it: a retry after a crash finds it instead of creating twice. */
  @Index('UQ_reservations_idempotency_key', { unique: true })
  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey!: string | null;

  /** SHA-256 of the request that created it: a key reused with another body never gets this reservation. */
  @Column({ name: 'idempotency_fingerprint', type: 'varchar', length: 64, nullable: true })
  idempotencyFingerprint!: string | null;

  @Column({ type: 'varchar', length: 32 })
  status!: ReservationStatus;

  @Column({ name: 'supplier_code', type: 'varchar', length: 16 })
  supplierCode!: string;

  @Column({ name: 'pickup_office_code', type: 'varchar', length: 16 })
  pickupOfficeCode!: string;

  @Column({ name: 'pickup_local', type: 'varchar', length: 16 })
  pickupLocal!: string;

  @Column({ name: 'pickup_time_zone', type: 'varchar', length: 64 })
  pickupTimeZone!: string;

  @Column({ name: 'pickup_at', type: 'datetime', precision: 3 })
  pickupAt!: Date;

  @Column({ name: 'dropoff_office_code', type: 'varchar', length: 16 })
  dropoffOfficeCode!: string;

  @Column({ name: 'dropoff_local', type: 'varchar', length: 16 })
  dropoffLocal!: string;

  @Column({ name: 'dropoff_time_zone', type: 'varchar', length: 64 })
  dropoffTimeZone!: string;

  @Column({ name: 'dropoff_at', type: 'datetime', precision: 3 })
  dropoffAt!: Date;

  @Column({ name: 'car_category_code', type: 'varchar', length: 4 })
  carCategoryCode!: string;

  @Column({ name: 'customer_first_name', type: 'varchar', length: 100 })
  customerFirstName!: string;

  @Column({ name: 'customer_last_name', type: 'varchar', length: 100 })
  customerLastName!: string;

  @Column({ name: 'customer_email', type: 'varchar', length: 254 })
  customerEmail!: string;

  @Column({ name: 'customer_phone', type: 'varchar', length: 20 })
  customerPhone!: string;

  /** Minor units of `currency` (cents for EUR). */
  @Column({ name: 'amount', type: 'int' })
  amount!: number;

  @Column({ type: 'varchar', length: 3 })
  currency!: string;

  @Column({ name: 'payment_intent_id', type: 'varchar', length: 255, nullable: true })
  paymentIntentId!: string | null;

  /** Handed to the frontend to confirm the payment with Stripe.js; only with code and e-mail. */
  @Column({ name: 'payment_client_secret', type: 'varchar', length: 255, nullable: true })
  paymentClientSecret!: string | null;

  /** Stripe's message for the last declined attempt, shown to the customer. */
  @Column({ name: 'payment_failure_message', type: 'varchar', length: 500, nullable: true })
  paymentFailureMessage!: string | null;

  /**
   * When we learnt that Stripe cancelled the PaymentIntent. Until then an EXPIRED reservation
   * can still be paid (an intent that was processing), and the reconciliation watches it.
   */
  @Column({ name: 'payment_intent_canceled_at', type: 'datetime', precision: 3, nullable: true })
  paymentIntentCanceledAt!: Date | null;

  /**
   * When the reconciliation last looked at this payment; it takes the least recently checked
   * first. Stamped by the repository alone, outside the optimistic lock (it changes no state).
   */
  @Column({ name: 'payment_checked_at', type: 'datetime', precision: 3, nullable: true })
  paymentCheckedAt!: Date | null;

  @Column({ name: 'supplier_confirmation', type: 'varchar', length: 64, nullable: true })
  supplierConfirmation!: string | null;

  /** When the payment succeeded: the money-safety check measures age from here. */
  @Column({ name: 'paid_at', type: 'datetime', precision: 3, nullable: true })
  paidAt!: Date | null;

  /** An operator must look: the supplier rejected it, retries ran out, or a refund raced a booking. */
  @Column({ name: 'needs_attention', type: 'boolean', default: false })
  needsAttention!: boolean;

  /** Booking runs so far (BOOK_WITH_SUPPLIER, then each retry); a retry scheduled for an older run is stale. */
  @Column({ name: 'supplier_attempts', type: 'int', default: 0 })
  supplierAttempts!: number;

  @Column({ name: 'supplier_last_error', type: 'varchar', length: 500, nullable: true })
  supplierLastError!: string | null;

  @Column({ name: 'supplier_next_retry_at', type: 'datetime', precision: 3, nullable: true })
  supplierNextRetryAt!: Date | null;

  /** When the supplier last said no for good; cleared by a later run that defers or confirms. */
  @Column({ name: 'supplier_rejected_at', type: 'datetime', precision: 3, nullable: true })
  supplierRejectedAt!: Date | null;

  /** Set while an operator's refund is under way: booking runs stand aside. */
  @Column({ name: 'refund_requested_at', type: 'datetime', precision: 3, nullable: true })
  refundRequestedAt!: Date | null;

  /** Set exactly while `refundRequestedAt` is: what we know of the refund under way. */
  @Column({ name: 'refund_state', type: 'varchar', length: 16, nullable: true })
  refundState!: RefundState | null;

  /** Why the last refund attempt did not end it (a lost answer, or Stripe's refusal). */
  @Column({ name: 'refund_last_error', type: 'varchar', length: 500, nullable: true })
  refundLastError!: string | null;

  @Column({ name: 'refund_id', type: 'varchar', length: 255, nullable: true })
  refundId!: string | null;

  /** Minor units actually refunded, as the payment provider reported. */
  @Column({ name: 'refunded_amount', type: 'int', nullable: true })
  refundedAmount!: number | null;

  /** As its PaymentIntent takes the money: at once (`automatic`), or held until captured (`manual`). */
  @Column({ name: 'capture_method', type: 'varchar', length: 16, default: 'automatic' })
  captureMethod!: CaptureMethod;

  /** When the money was held on the card (a manual capture). */
  @Column({ name: 'authorized_at', type: 'datetime', precision: 3, nullable: true })
  authorizedAt!: Date | null;

  /** Stripe's deadline for capturing the hold (`capture_before` of its charge); null until known. */
  @Column({ name: 'capture_before', type: 'datetime', precision: 3, nullable: true })
  captureBefore!: Date | null;

  /** A capture was decided (the supplier booked it, or the deadline policy): CAPTURE_PAYMENT runs it. */
  @Column({ name: 'capture_requested_at', type: 'datetime', precision: 3, nullable: true })
  captureRequestedAt!: Date | null;

  /** When Stripe captured the hold. */
  @Column({ name: 'captured_at', type: 'datetime', precision: 3, nullable: true })
  capturedAt!: Date | null;

  /** Why the last capture did not take the money (Stripe refused it: operators must act). */
  @Column({ name: 'capture_last_error', type: 'varchar', length: 500, nullable: true })
  captureLastError!: string | null;

  /** When the hold was given up: nothing was charged. */
  @Column({ name: 'released_at', type: 'datetime', precision: 3, nullable: true })
  releasedAt!: Date | null;

  /** The dispute of its charge, if the cardholder's bank opened one (`charge.dispute.*`). */
  @Column({ name: 'dispute_id', type: 'varchar', length: 255, nullable: true })
  disputeId!: string | null;

  /** As Stripe last reported it: needs_response, under_review, won, lost, … */
  @Column({ name: 'dispute_status', type: 'varchar', length: 32, nullable: true })
  disputeStatus!: string | null;

  @Column({ name: 'dispute_reason', type: 'varchar', length: 64, nullable: true })
  disputeReason!: string | null;

  /** When we first learnt of the dispute. */
  @Column({ name: 'disputed_at', type: 'datetime', precision: 3, nullable: true })
  disputedAt!: Date | null;

  /**
   * The W3C trace context of the request that created it, when tracing is on: the span that
   * applies its payment (another request, another trace) links to it.
   */
  @Column({ name: 'trace_context', type: 'varchar', length: 512, nullable: true })
  traceContext!: string | null;

  @Column({ name: 'lock_version', type: 'int' })
  lockVersion!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;

  /** Changes made since load, written to the history by the repository. */
  private pending: StatusChange[] = [];

  static create(input: NewReservation, now: Date): Reservation {
    const reservation = new Reservation();
    Object.assign(reservation, {
      code: input.code,
      idempotencyKey: input.idempotencyKey,
      idempotencyFingerprint: input.idempotencyFingerprint ?? null,
      status: ReservationStatus.CREATED,
      supplierCode: input.supplierCode,
      pickupOfficeCode: input.pickupOfficeCode,
      pickupLocal: input.pickup.local,
      pickupTimeZone: input.pickup.timeZone,
      pickupAt: input.pickup.instant,
      dropoffOfficeCode: input.dropoffOfficeCode,
      dropoffLocal: input.dropoff.local,
      dropoffTimeZone: input.dropoff.timeZone,
      dropoffAt: input.dropoff.instant,
      carCategoryCode: input.carCategoryCode,
      customerFirstName: input.customer.firstName,
      customerLastName: input.customer.lastName,
      customerEmail: input.customer.email,
      customerPhone: input.customer.phone,
      amount: input.price.amount,
      currency: input.price.currency,
      paymentIntentId: null,
      paymentClientSecret: null,
      paymentFailureMessage: null,
      paymentIntentCanceledAt: null,
      paymentCheckedAt: null,
      supplierConfirmation: null,
      paidAt: null,
      needsAttention: false,
      supplierAttempts: 0,
      supplierLastError: null,
      supplierNextRetryAt: null,
      supplierRejectedAt: null,
      refundRequestedAt: null,
      refundState: null,
      refundLastError: null,
      refundId: null,
      refundedAmount: null,
      captureMethod: 'automatic',
      authorizedAt: null,
      captureBefore: null,
      captureRequestedAt: null,
      capturedAt: null,
      captureLastError: null,
      releasedAt: null,
      disputeId: null,
      disputeStatus: null,
      disputeReason: null,
      disputedAt: null,
      traceContext: input.traceContext ?? null,
      lockVersion: 1,
      createdAt: now,
      updatedAt: now,
    });
    reservation.pending = [{ from: null, to: ReservationStatus.CREATED, cause: 'reservation created', actor: null }];
    return reservation;
  }

  get progress(): Progress {
    return this.progressIn(this.status);
  }

  /** The progress this reservation shows in `status` (what a change to it said, while later ones are pending). */
  progressIn(status: ReservationStatus): Progress {
    return progressOf(status, {
      supplierRejected: this.supplierRejectedAt !== null,
      supplierConfirmed: this.supplierConfirmation !== null,
      held: this.held,
    });
  }

  canTransitionTo(to: ReservationStatus): boolean {
    return canTransition(this.status, to);
  }

  /** Moves along the lifecycle or throws; `cause` and `actor` go to the status history. */
  transitionTo(to: ReservationStatus, cause: string, actor: string | null = null): void {
    if (!this.canTransitionTo(to)) throw new IllegalTransitionError(this.status, to);
    this.pending.push({ from: this.status, to, cause, actor });
    this.status = to;
  }

  /**
   * Records the reservation's one PaymentIntent. Never replaces another: a second intent
   * for one reservation would be a second charge.
   */
  attachPaymentIntent(paymentIntentId: string, clientSecret: string | null, captureMethod?: CaptureMethod): boolean {
    if (this.paymentIntentId && this.paymentIntentId !== paymentIntentId) return false;
    this.paymentIntentId = paymentIntentId;
    this.paymentClientSecret = clientSecret ?? this.paymentClientSecret;
    if (captureMethod) this.captureMethod = captureMethod;
    if (this.status === ReservationStatus.CREATED) {
      this.transitionTo(ReservationStatus.PAYMENT_IN_PROGRESS, 'payment intent created');
    }
    return true;
  }

  /**
   * Applies what Stripe says of the payment. Only moves forward; anything that does not apply
   * (late, duplicate, out of order) changes nothing and returns false. A success always wins.
   */
  applyPaymentOutcome(outcome: PaymentOutcome, cause: string, at: Date = new Date()): boolean {
    const S = ReservationStatus;
    switch (outcome.kind) {
      case 'succeeded':
        // A held reservation is captured by CAPTURE_PAYMENT, whose answer this event repeats;
        // it moves here only if nothing of ours is capturing it (a capture made elsewhere).
        if (this.held) return this.captureRequestedAt ? false : this.recordCapture(at, cause);
        if (!this.canTransitionTo(S.PAID)) return false;
        this.paymentFailureMessage = null;
        this.paidAt ??= at;
        if (this.captureMethod === 'manual') this.capturedAt ??= at;
        this.transitionTo(S.PAID, cause);
        this.settleRefundRecordedAtStripe();
        return true;
      case 'authorized':
        // A hold reported after we saw its intent cancelled is stale: cancelling gave it back.
        if (this.authorizedAt || this.paymentIntentCanceledAt || !this.canTransitionTo(S.AUTHORIZED)) return false;
        this.captureMethod = 'manual';
        this.paymentFailureMessage = null;
        this.authorizedAt = at;
        this.captureBefore = outcome.captureBefore;
        this.transitionTo(S.AUTHORIZED, cause);
        return true;
      case 'failed':
        if (this.status !== S.CREATED && this.status !== S.PAYMENT_IN_PROGRESS) return false;
        this.paymentFailureMessage = (outcome.failureMessage ?? 'The payment failed.').slice(0, 500);
        this.transitionTo(S.PAYMENT_FAILED, cause);
        return true;
      case 'processing':
        if (this.status !== S.CREATED && this.status !== S.PAYMENT_FAILED) return false;
        this.transitionTo(S.PAYMENT_IN_PROGRESS, cause);
        return true;
      case 'canceled': {
        if (this.held) return this.loseHold(cause, at);
        const expired = this.expireUnpaid(cause);
        // Nothing can be paid on it any more: the reconciliation stops watching it.
        if (this.status !== S.EXPIRED || this.paymentIntentCanceledAt) return expired;
        this.paymentIntentCanceledAt = at;
        return true;
      }
    }
  }

  /** Unpaid and out of time (or its intent was cancelled): EXPIRED. False if already paid or expired. */
  expireUnpaid(cause: string): boolean {
    if (!UNPAID.includes(this.status)) return false;
    this.transitionTo(ReservationStatus.EXPIRED, cause);
    return true;
  }

  /**
   * Paid (or held) and not yet booked with the supplier nor refunded: what supplier booking
   * works on. A held reservation the supplier booked waits for its capture instead.
   */
  get awaitsSupplier(): boolean {
    const S = ReservationStatus;
    if (this.status !== S.PAID && this.status !== S.CONFIRMED_INTERNAL && this.status !== S.AUTHORIZED) return false;
    return !(this.held && this.supplierConfirmation);
  }

  // --- the hold (PAYMENT_CAPTURE=after_supplier_confirmation) -----------------------------

  /** The money is held on the card and not yet taken: nothing to refund, a capture or a release to come. */
  get held(): boolean {
    const S = ReservationStatus;
    return (
      this.captureMethod === 'manual' &&
      this.authorizedAt !== null &&
      this.capturedAt === null &&
      (this.status === S.AUTHORIZED || this.status === S.CONFIRMED_INTERNAL)
    );
  }

  /** A capture was decided and has not ended: what CAPTURE_PAYMENT works on. */
  get awaitsCapture(): boolean {
    return this.held && this.captureRequestedAt !== null && this.captureLastError === null;
  }

  /**
   * The supplier booked a held reservation: the booking is kept, and the money is to be taken
   * now (CAPTURE_PAYMENT); the reservation is SUPPLIER_CONFIRMED only once it is captured.
   */
  confirmHeldBooking(confirmationNumber: string, cause: string, at: Date): void {
    this.supplierConfirmation = confirmationNumber.slice(0, 64);
    this.supplierRejectedAt = null;
    this.supplierLastError = null;
    this.supplierNextRetryAt = null;
    this.needsAttention = this.disputeNeedsAction;
    this.captureRequestedAt ??= at;
    this.pending.push({ from: this.status, to: this.status, cause: `${cause}; capturing the payment`.slice(0, 255), actor: null });
  }

  /**
   * The hold's deadline is near and the supplier has not booked it (policy `capture`): take
   * the money now and keep trying the supplier; the refund path stays the fallback.
   */
  requestCaptureBeforeDeadline(at: Date): boolean {
    if (!this.held || this.captureRequestedAt) return false;
    this.captureRequestedAt = at;
    this.pending.push({ from: this.status, to: this.status, cause: 'hold deadline near: capturing before booking', actor: null });
    return true;
  }

  /**
   * Stripe took the held money. With the supplier's booking: SUPPLIER_CONFIRMED. Before it
   * (the deadline policy): AUTHORIZED becomes PAID, CONFIRMED_INTERNAL stays, and booking goes on.
   */
  recordCapture(at: Date, cause: string): boolean {
    if (!this.held) return false;
    this.capturedAt = at;
    this.paidAt ??= at;
    this.captureLastError = null;
    this.paymentFailureMessage = null;
    if (this.supplierConfirmation) this.transitionTo(ReservationStatus.SUPPLIER_CONFIRMED, cause);
    else if (this.status === ReservationStatus.AUTHORIZED) this.transitionTo(ReservationStatus.PAID, cause);
    else this.pending.push({ from: this.status, to: this.status, cause: cause.slice(0, 255), actor: null });
    this.settleRefundRecordedAtStripe();
    return true;
  }

  /**
   * Stripe refused to capture (the hold expired or was cancelled). Booked with the supplier:
   * flagged, since a car waits that nobody paid for. Not booked: the hold is gone, RELEASED.
   */
  refuseCapture(error: string, at: Date): void {
    if (!this.held) return;
    if (!this.supplierConfirmation) {
      this.releaseHold(`capture refused: ${error}`, at);
      return;
    }
    this.captureLastError = error.slice(0, 500);
    this.needsAttention = true;
    this.supplierLastError = CAPTURE_REFUSED;
    this.pending.push({ from: this.status, to: this.status, cause: `capture refused: ${error}`.slice(0, 255), actor: null });
  }

  /** Gives the hold up (the supplier refused, or the deadline policy `release`): RELEASED, nothing charged. */
  releaseHold(cause: string, at: Date): boolean {
    if (!this.held) return false;
    this.releasedAt = at;
    this.captureRequestedAt = null;
    this.supplierNextRetryAt = null;
    this.transitionTo(ReservationStatus.RELEASED, cause);
    return true;
  }

  /**
   * What the cancellation of a RELEASED reservation's hold found: cancelled (the customer has
   * the hold back), or captured all the same, which an operator must refund. False when known already.
   */
  recordHoldCancelled(cancelled: boolean, at: Date): boolean {
    if (this.status !== ReservationStatus.RELEASED || this.paymentIntentCanceledAt || (!cancelled && this.needsAttention)) return false;
    if (cancelled) {
      this.paymentIntentCanceledAt = at;
      return true;
    }
    this.needsAttention = true;
    this.captureLastError = CAPTURED_AFTER_RELEASE;
    this.pending.push({ from: this.status, to: this.status, cause: 'the released hold was captured at Stripe: refund it', actor: null });
    return true;
  }

  /** Stripe cancelled the hold (it expired, or someone cancelled it at Stripe). */
  private loseHold(cause: string, at: Date): boolean {
    this.paymentIntentCanceledAt ??= at;
    if (this.supplierConfirmation) {
      if (this.captureLastError) return false;
      this.refuseCapture('the hold was cancelled at Stripe', at);
      return true;
    }
    return this.releaseHold(cause, at);
  }

  // --- money moved at Stripe outside our own calls (the Dashboard, the cardholder's bank) ---

  /**
   * A refund Stripe reports (`charge.refunded`: what the charge has had refunded in all, out of
   * what it captured). The amount is recorded; beyond that:
   * - our own refund under way: its flow ends it, with the operator's reason (`recorded`);
   * - in full, before the supplier booked it: REFUNDED, as an operator's refund would
   *   (`refunded`; PAID passes through CONFIRMED_INTERNAL, the only way into REFUNDED);
   * - in full, after the supplier booked it: SUPPLIER_CONFIRMED stays, flagged (`flagged`);
   * - a released hold captured all the same and now refunded: the flag that asked for it goes.
   * A partial refund changes nothing else: it is how a goodwill gesture is made.
   */
  recordRefundAtStripe(refund: { refundedTotal: number; capturedTotal: number }, cause: string): StripeRefundEffect {
    if (refund.refundedTotal <= (this.refundedAmount ?? 0)) return false;
    this.refundedAmount = refund.refundedTotal;
    const full = refund.refundedTotal >= refund.capturedTotal;
    if (this.refundUnderWay || this.status === ReservationStatus.REFUNDED) return 'recorded';
    const S = ReservationStatus;
    const ended = full ? this.endByRefundAtStripe(cause) : false;
    if (ended === 'refunded') return ended;
    this.pending.push({ from: this.status, to: this.status, cause: cause.slice(0, 255), actor: null });
    if (ended === 'flagged') return ended;
    if (full && this.status === S.RELEASED && this.captureLastError === CAPTURED_AFTER_RELEASE) {
      this.needsAttention = this.supplierConfirmation !== null || this.disputeNeedsAction;
    }
    return 'recorded';
  }

  /**
   * What a full refund at Stripe means for a reservation whose money was taken: REFUNDED before
   * the supplier booked it (PAID passes through CONFIRMED_INTERNAL), flagged after. False while
   * the money is not taken (unpaid, or held): `settleRefundRecordedAtStripe` applies it once it is.
   */
  private endByRefundAtStripe(cause: string): StripeRefundEffect {
    const S = ReservationStatus;
    if (!this.held && (this.status === S.PAID || this.status === S.CONFIRMED_INTERNAL)) {
      if (this.status === S.PAID) this.transitionTo(S.CONFIRMED_INTERNAL, `${cause}, before the supplier booked it`.slice(0, 255));
      this.refund(null, this.refundedAmount ?? 0, cause, null);
      return 'refunded';
    }
    if (this.status === S.SUPPLIER_CONFIRMED) {
      this.needsAttention = true;
      this.supplierLastError = REFUNDED_AT_STRIPE_AFTER_BOOKING;
      return 'flagged';
    }
    return false;
  }

  /**
   * The money was just taken (the payment succeeded, or the hold was captured) of a reservation
   * Stripe had already reported refunded in full (events come in any order; a support agent may
   * refund while our capture's answer is lost): that refund applies now, as it would have then.
   */
  private settleRefundRecordedAtStripe(): void {
    if ((this.refundedAmount ?? 0) < this.amount || this.refundUnderWay) return;
    const cause = `refunded in full at Stripe before the money was taken (${this.refundedAmount} of ${this.amount})`;
    if (this.endByRefundAtStripe(cause) === 'flagged') this.pending.push({ from: this.status, to: this.status, cause, actor: null });
  }

  /**
   * A dispute of the charge opened, moved or closed (`charge.dispute.*`): kept with its status
   * and reason, and flagged for operators (evidence is due; a lost one took the money back).
   * False when it tells nothing new: a status never goes back (a final one never reopens).
   */
  recordDispute(dispute: DisputeFacts, cause: string, at: Date): boolean {
    // The same dispute: only a move forward (an older event arriving late, or a repeat, tells nothing new).
    if (this.disputeId === dispute.id && disputeStage(dispute.status) <= disputeStage(this.disputeStatus)) return false;
    this.disputeId = dispute.id.slice(0, 255);
    this.disputeStatus = dispute.status.slice(0, 32);
    this.disputeReason = dispute.reason.slice(0, 64);
    this.disputedAt ??= at;
    this.needsAttention = true;
    this.pending.push({ from: this.status, to: this.status, cause: cause.slice(0, 255), actor: null });
    return true;
  }

  /** A dispute is open, or was lost (the bank took the money back): operators must act. */
  get disputeNeedsAction(): boolean {
    return this.disputeStatus !== null && DISPUTE_ACTION_STATUSES.includes(this.disputeStatus);
  }

  /** May the booking run that follows run `afterAttempt` start? Stale once another run came after it. */
  bookingRunAfter(afterAttempt: number): 'due' | 'nothing_to_do' | 'stale' {
    if (!this.awaitsSupplier || this.refundUnderWay) return 'nothing_to_do';
    return this.supplierAttempts === afterAttempt ? 'due' : 'stale';
  }

  /** Records that booking run `attempt` happened; only the next run of a reservation still awaiting the supplier. */
  countBookingRun(attempt: number): void {
    if (this.bookingRunAfter(attempt - 1) !== 'due') throw new BookingRunNotDueError(this.code, attempt);
    this.supplierAttempts = attempt;
  }

  /** An operator asks for a booking run at once; refused when there is nothing to book. */
  retrySupplierBookingNow(at: Date, actor: string): void {
    if (!this.awaitsSupplier || this.refundUnderWay) {
      const state = `${this.status}${this.refundUnderWay ? ' with a refund under way' : ''}`;
      throw new ReservationActionNotAllowedError(`Reservation ${this.code} is ${state}: there is nothing to book.`);
    }
    this.recordOperatorAction('operator asked to retry the supplier booking now', actor);
    this.supplierNextRetryAt = at;
  }

  /**
   * The supplier booked it under our reference. From PAID or CONFIRMED_INTERNAL to
   * SUPPLIER_CONFIRMED; false when there is nothing to move. While a refund is under way the
   * confirmation is kept and the reservation flagged instead: the operator must cancel it.
   */
  confirmWithSupplier(confirmationNumber: string, cause: string, actor: string | null = null): boolean {
    if (!this.awaitsSupplier) return false;
    this.supplierConfirmation = confirmationNumber.slice(0, 64);
    this.supplierRejectedAt = null;
    if (this.refundRequestedAt) {
      this.needsAttention = true;
      this.supplierLastError = CANCEL_SUPPLIER_BOOKING;
      return false;
    }
    this.needsAttention = this.disputeNeedsAction;
    this.supplierLastError = null;
    this.supplierNextRetryAt = null;
    this.transitionTo(ReservationStatus.SUPPLIER_CONFIRMED, cause, actor);
    return true;
  }

  /**
   * No answer from the supplier (timeout, 5xx, open circuit): confirmed by us, booked later.
   * `nextRetryAt` null means retries ran out: an operator must decide.
   */
  deferSupplierBooking(error: string, nextRetryAt: Date | null, cause: string): void {
    this.supplierLastError = error.slice(0, 500);
    this.supplierNextRetryAt = nextRetryAt;
    this.supplierRejectedAt = null;
    if (!nextRetryAt) this.needsAttention = true;
    // A hold is kept while the supplier is retried.
    if (this.status === ReservationStatus.PAID || this.status === ReservationStatus.AUTHORIZED) {
      this.transitionTo(ReservationStatus.CONFIRMED_INTERNAL, cause);
    }
  }

  /** The supplier said no for good: confirmed by us, and an operator must act at once. */
  rejectBySupplier(error: string, cause: string, at: Date = new Date()): void {
    this.supplierLastError = error.slice(0, 500);
    this.supplierNextRetryAt = null;
    this.supplierRejectedAt = at;
    // Held: the hold is given up and nothing is charged; there is nothing for an operator to refund.
    if (this.releaseHold(cause, at)) return;
    this.needsAttention = true;
    if (this.status === ReservationStatus.PAID) this.transitionTo(ReservationStatus.CONFIRMED_INTERNAL, cause);
  }

  /** An operator's action that changes no status, kept in the history with who asked. */
  recordOperatorAction(cause: string, actor: string): void {
    this.pending.push({ from: this.status, to: this.status, cause, actor });
  }

  /** A refund is under way (asked, or its outcome unknown): booking runs stand aside. */
  get refundUnderWay(): boolean {
    return this.refundRequestedAt !== null;
  }

  /** A refund asked and not yet ended, one way or the other: what SETTLE_REFUND finishes. */
  get refundPending(): boolean {
    return this.refundUnderWay && this.status === ReservationStatus.CONFIRMED_INTERNAL;
  }

  /**
   * An operator starts (or repeats) a refund of a reservation no supplier can serve; booking
   * runs stand aside until it ends. Only a CONFIRMED_INTERNAL reservation that was paid is refunded.
   */
  requestRefund(at: Date, actor: string): void {
    if (this.status !== ReservationStatus.CONFIRMED_INTERNAL || !this.paymentIntentId) {
      throw new ReservationActionNotAllowedError(
        `Reservation ${this.code} is ${this.status}: only a CONFIRMED_INTERNAL reservation is refunded.`,
      );
    }
    if (this.held) {
      throw new ReservationActionNotAllowedError(`Reservation ${this.code} is held, not charged: there is nothing to refund.`);
    }
    this.refundRequestedAt ??= at;
    this.refundState ??= 'REQUESTED';
    this.recordOperatorAction(this.refundState === 'UNKNOWN' ? 'refund repeated (outcome unknown)' : 'refund requested', actor);
  }

  /** Stripe's answer was lost (timeout, reset, 5xx, 409, 429): it may have refunded. Stays blocked. */
  markRefundOutcomeUnknown(error: string, actor: string): void {
    if (!this.refundPending) return;
    this.refundState = 'UNKNOWN';
    this.refundLastError = error.slice(0, 500);
    this.recordOperatorAction(`refund outcome unknown: ${error}`.slice(0, 255), actor);
  }

  /**
   * Stripe refused the refund for good: booking may go on, and the operator knows why. A
   * refusal nobody is waiting for (the outbox settled it) flags the reservation.
   */
  abandonRefund(error: string, actor: string, options: { flag: boolean } = { flag: false }): void {
    if (!this.refundPending) return;
    this.refundRequestedAt = null;
    this.refundState = null;
    this.refundLastError = error.slice(0, 500);
    if (options.flag) this.needsAttention = true;
    this.recordOperatorAction(`refund failed: ${error}`.slice(0, 255), actor);
  }

  /** Refunded: by our own refund (its id), or at Stripe (`refundId` null: `charge.refunded` names none). */
  refund(refundId: string | null, amount: number, cause: string, actor: string | null): void {
    this.transitionTo(ReservationStatus.REFUNDED, cause, actor);
    this.refundId = refundId;
    // Never below what Stripe already reported: a Dashboard refund before ours counts in its total.
    this.refundedAmount = Math.max(this.refundedAmount ?? 0, amount);
    this.refundState = null;
    this.refundLastError = null;
    this.supplierNextRetryAt = null;
    // A supplier confirmation that raced the refund keeps the flag: that booking must be cancelled.
    this.needsAttention = this.supplierConfirmation !== null || this.disputeNeedsAction;
  }

  /**
   * Ended (refunded, or its hold released) with no supplier booking known, after booking runs:
   * one may have reached the supplier all the same (a timeout after it booked), which the
   * supplier check after the end looks for.
   */
  get endedWithoutSupplierBooking(): boolean {
    const ended = this.status === ReservationStatus.REFUNDED || this.status === ReservationStatus.RELEASED;
    return ended && !this.supplierConfirmation;
  }

  /**
   * The supplier booked a reservation that was refunded meanwhile (a run that was in flight,
   * or a supplier that books late): keep its number and flag it, since the customer has their
   * money back and a car waiting. False when there is nothing to keep.
   */
  keepConfirmationAfterRefund(confirmationNumber: string, cause: string): boolean {
    if (this.status !== ReservationStatus.REFUNDED && this.status !== ReservationStatus.RELEASED) return false;
    if (this.supplierConfirmation === confirmationNumber.slice(0, 64) && this.needsAttention) return false;
    this.supplierConfirmation = confirmationNumber.slice(0, 64);
    this.needsAttention = true;
    // Released: the hold went back to the customer (it expired, or was given up) while the run was out.
    this.supplierLastError = this.status === ReservationStatus.RELEASED ? CANCEL_RELEASED_BOOKING : CANCEL_SUPPLIER_BOOKING;
    this.pending.push({ from: this.status, to: this.status, cause: cause.slice(0, 255), actor: null });
    return true;
  }

  /** The customer's e-mail is the second factor of a lookup; case does not matter. */
  belongsTo(email: string): boolean {
    return this.customerEmail.toLowerCase() === email.trim().toLowerCase();
  }

  /** Hands the pending history to the repository, once. */
  takePendingChanges(): StatusChange[] {
    const changes = this.pending;
    this.pending = [];
    return changes;
  }
}
