import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BackgroundConfig, backgroundConfig, Clock, registerInterval } from '@app/core';
import { Outbox } from '@app/outbox';
import { BOOK_WITH_SUPPLIER } from '@app/payments';
import { Reservation, ReservationsRepository, ReservationStatus } from '@app/reservations';
import { CAPTURE_PAYMENT, RETRY_SUPPLIER_BOOKING } from '../booking-events';
import { suppliersConfig, SuppliersConfig } from '../suppliers.config';

/** Why a reservation is on the list: what the operator has to do differs. */
export type MoneyAtRisk =
  | 'paid_not_booked'
  | 'refund_outcome_unknown'
  | 'booked_after_refund'
  | 'capture_refused'
  | 'booked_after_release'
  | 'captured_after_release'
  | 'refunded_at_stripe_after_booking'
  | 'dispute_open'
  | 'dispute_lost'
  | 'capture_stalled'
  | 'held_not_booked';

const PROBLEMS: readonly MoneyAtRisk[] = [
  'paid_not_booked',
  'refund_outcome_unknown',
  'booked_after_refund',
  'capture_refused',
  'booked_after_release',
  'captured_after_release',
  'refunded_at_stripe_after_booking',
  'dispute_open',
  'dispute_lost',
  'capture_stalled',
  'held_not_booked',
];

/** The outbox events that move a held reservation's money or booking on: one of them DEAD, nothing moves it. */
const HOLD_EVENTS = [CAPTURE_PAYMENT, BOOK_WITH_SUPPLIER, RETRY_SUPPLIER_BOOKING];

export class UnsettledReservation {
  @ApiProperty({ example: 'K7M2Q9XD' }) reservation_code!: string;
  @ApiProperty({
    enum: ReservationStatus,
    description: 'Any status: a disputed reservation is listed whatever its status',
  })
  status!: ReservationStatus;
  @ApiProperty({
    enum: PROBLEMS,
    description:
      'paid_not_booked: book it or refund it; refund_outcome_unknown: Stripe\'s answer was lost, the outbox settles it (repeating the refund is safe); ' +
      'booked_after_refund: the customer has their money back and the supplier holds a booking: cancel the supplier booking; ' +
      'capture_refused: the supplier booked a held reservation and Stripe refused the capture (the hold expired or was cancelled): cancel the supplier booking or charge again; ' +
      'booked_after_release: the hold went back to the customer and the supplier booked all the same: cancel the supplier booking; ' +
      'captured_after_release: the hold was released (nothing to book) yet Stripe captured the payment: refund it; ' +
      'refunded_at_stripe_after_booking: refunded in full at Stripe (the Dashboard) after the supplier booked it: cancel the supplier booking, or charge again; ' +
      "dispute_open: the cardholder's bank disputes the charge: answer it at Stripe before its evidence is due (dispute_status, dispute_reason); " +
      'dispute_lost: the bank took the money back: cancel the supplier booking, or recover the money; ' +
      'capture_stalled: a capture was decided (the supplier booked it, or the hold deadline) and its CAPTURE_PAYMENT is DEAD: requeue it before the hold expires (capture_before), or cancel the supplier booking; ' +
      'held_not_booked: the money is held and its booking event is DEAD: retry the supplier booking (or requeue the event) before the hold expires (capture_before)',
  })
  problem!: MoneyAtRisk;
  @ApiProperty({ example: 'HERTZ' }) supplier_code!: string;
  @ApiProperty({ example: 18950 }) amount!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiPropertyOptional({ nullable: true }) paid_at!: string | null;
  @ApiProperty({ example: 95, description: 'Minutes since the payment succeeded (0 while the money is only held)' }) age_minutes!: number;
  @ApiProperty() needs_attention!: boolean;
  @ApiProperty() supplier_attempts!: number;
  @ApiPropertyOptional({ nullable: true }) supplier_last_error!: string | null;
  @ApiProperty({ description: 'A refund is under way (asked, or its outcome unknown): booking is blocked' }) refund_under_way!: boolean;
  @ApiPropertyOptional({ nullable: true, example: 'HERTZ-4411', description: "The supplier's booking number, if it booked" })
  supplier_confirmation!: string | null;
  @ApiPropertyOptional({ nullable: true, example: 2000, description: 'Minor units refunded so far, by us or at Stripe' })
  refunded_amount!: number | null;
  @ApiPropertyOptional({ nullable: true, example: 'needs_response', description: "The dispute's status at Stripe, if the charge is disputed" })
  dispute_status!: string | null;
  @ApiPropertyOptional({ nullable: true, example: 'fraudulent', description: "The dispute's reason at Stripe" })
  dispute_reason!: string | null;
}

export class MoneySafetyReport {
  @ApiProperty({ example: '2026-11-22T10:00:00.000Z' }) checked_at!: string;
  @ApiProperty({ example: 60 }) older_than_minutes!: number;
  @ApiProperty({ example: 0 }) count!: number;
  @ApiProperty({ type: [UnsettledReservation] }) reservations!: UnsettledReservation[];
}

const LIMIT = 1000;

/**
 * The money-safety check: every reservation where the customer's money and the supplier's
 * booking disagree, or may soon, each with its problem (`MoneyAtRisk`): paid for more than
 * MONEY_SAFETY_AGE_MINUTES with neither a supplier confirmation nor a refund; refunded (by us
 * or at Stripe) or released while the supplier booked it; a hold whose capture Stripe refused,
 * or whose capture or booking event is DEAD so that nothing moves it before the hold expires;
 * a released hold captured all the same; a dispute open or lost. Run on a schedule (a warning
 * in the log when the list is not empty), and on demand by operators (admin route, CLI).
 */
@Injectable()
export class MoneySafetyCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('MoneySafety');

  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    @Inject(suppliersConfig.KEY) private readonly config: SuppliersConfig,
    @Inject(backgroundConfig.KEY) private readonly background: BackgroundConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Background work: not in the CLI, not in HTTP-only processes.
    if (!this.background.enabled) return;
    registerInterval(this.scheduler, 'money-safety', this.config.moneySafety.intervalMs, () => this.tick(), this.logger);
  }

  async run(olderThanMinutes = this.config.moneySafety.ageMinutes): Promise<MoneySafetyReport> {
    const now = this.clock.now();
    const rows = await this.reservations.findPaidUnsettled(new Date(now.getTime() - olderThanMinutes * 60_000), LIMIT);
    const stalled = await this.stalledHolds(new Set(rows.map((r) => r.code)), LIMIT - rows.length);
    const problems = new Map<Reservation, MoneyAtRisk>([
      ...rows.map((r): [Reservation, MoneyAtRisk] => [r, problemOf(r)]),
      ...stalled.map((r): [Reservation, MoneyAtRisk] => [r, r.captureRequestedAt ? 'capture_stalled' : 'held_not_booked']),
    ]);
    return {
      checked_at: now.toISOString(),
      older_than_minutes: olderThanMinutes,
      count: problems.size,
      reservations: [...problems].map(([r, problem]) => ({
        reservation_code: r.code,
        status: r.status,
        problem,
        supplier_code: r.supplierCode,
        amount: r.amount,
        currency: r.currency,
        paid_at: r.paidAt?.toISOString() ?? null,
        age_minutes: r.paidAt ? Math.floor((now.getTime() - r.paidAt.getTime()) / 60_000) : 0,
        needs_attention: r.needsAttention,
        supplier_attempts: r.supplierAttempts,
        supplier_last_error: r.supplierLastError,
        refund_under_way: r.refundUnderWay,
        supplier_confirmation: r.supplierConfirmation,
        refunded_amount: r.refundedAmount,
        dispute_status: r.disputeStatus,
        dispute_reason: r.disputeReason,
      })),
    };
  }

  /**
   * Held reservations (not captured) one of whose capture or booking events is DEAD: neither
   * the outbox nor the hold-deadline job (which skips a decided capture) moves them again, and
   * the hold expires at Stripe. DEAD events are few, and found by the outbox's status index.
   */
  private async stalledHolds(listed: Set<string>, limit: number): Promise<Reservation[]> {
    if (limit <= 0) return [];
    const stalled: Reservation[] = [];
    for (const code of await this.outbox.deadAggregates('reservation', HOLD_EVENTS)) {
      if (stalled.length >= limit) break;
      if (listed.has(code)) continue;
      const reservation = await this.reservations.findByCode(code);
      if (reservation?.held && !reservation.captureLastError) stalled.push(reservation);
    }
    return stalled;
  }

  private async tick(): Promise<void> {
    const report = await this.run();
    if (report.count > 0) {
      this.logger.warn({
        msg: `${report.count} reservation(s) with money at risk: ${summaryOf(report.reservations)}`,
        codes: report.reservations.slice(0, 50).map((r) => r.reservation_code),
      });
    }
  }
}

/** "2 paid_not_booked, 1 dispute_open": what the log line says of a report. */
function summaryOf(reservations: UnsettledReservation[]): string {
  const counts = new Map<MoneyAtRisk, number>();
  for (const r of reservations) counts.set(r.problem, (counts.get(r.problem) ?? 0) + 1);
  return [...counts].map(([problem, count]) => `${count} ${problem}`).join(', ');
}

function problemOf(reservation: Reservation): MoneyAtRisk {
  // A dispute first: its evidence has a deadline, and a lost one took the money back.
  if (reservation.disputeNeedsAction) return reservation.disputeStatus === 'lost' ? 'dispute_lost' : 'dispute_open';
  if (reservation.status === ReservationStatus.SUPPLIER_CONFIRMED) return 'refunded_at_stripe_after_booking';
  if (reservation.status === ReservationStatus.REFUNDED) return 'booked_after_refund';
  if (reservation.status === ReservationStatus.RELEASED) return reservation.supplierConfirmation ? 'booked_after_release' : 'captured_after_release';
  if (reservation.captureLastError) return 'capture_refused';
  return reservation.refundState === 'UNKNOWN' ? 'refund_outcome_unknown' : 'paid_not_booked';
}
