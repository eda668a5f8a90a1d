import { Injectable, Logger } from '@nestjs/common';
import { CatalogRepository, CatalogSnapshot, Office } from '@app/catalog';
import {
  Clock,
  currentTraceContext,
  IdempotencyClaim,
  IdempotencyKeyReusedError,
  isUniqueViolation,
  retryLostRaces,
  TransactionRunner,
} from '@app/core';
import { checkChargeableAmount } from '../domain/chargeable-amount';
import { generateReservationCode } from '../domain/reservation-code';
import { checkRentalPeriod, LocalTime, resolveLocalTime } from '../domain/rental-period';
import { Reservation } from '../reservation.entity';
import { RULES } from '../reservation.errors';
import { ReservationsRepository } from '../reservations.repository';
import { PaymentIntentRef, ReservationPaymentStarter } from './reservation-payment-starter';

export interface CreateReservationInput {
  idempotencyKey: string | null;
  /** Fingerprint of the request that carries the key: only that request may find what it created. */
  idempotencyFingerprint?: string | null;
  supplierCode: string;
  pickup: { officeCode: string; at: string };
  dropoff: { officeCode: string; at: string };
  carCategory: string;
  customer: { firstName: string; lastName: string; email: string; phone: string };
  price: { amount: number; currency: string };
}

/** 40 random bits per code: a collision is rare, five in a row means something else is wrong. */
const MAX_CODE_ATTEMPTS = 5;

/**
 * Two commits (ADR 0013). The first: the Idempotency-Key's claim, the reservation, its history
 * and the safety net of its payment. Then Stripe, outside any transaction. The second: the
 * PaymentIntent on the reservation and the answer a retry with the key replays.
 */
@Injectable()
export class CreateReservationHandler {
  private readonly logger = new Logger(CreateReservationHandler.name);

  constructor(
    private readonly catalog: CatalogRepository,
    private readonly reservations: ReservationsRepository,
    private readonly transactions: TransactionRunner,
    private readonly payment: ReservationPaymentStarter,
    private readonly clock: Clock,
  ) {}

  /** `idempotency`: the claim of the request's key (HTTP); without it only the reservation remembers the key. */
  async execute(input: CreateReservationInput, idempotency: IdempotencyClaim<Reservation> | null = null): Promise<Reservation> {
    const now = this.clock.now();
    const catalog = await this.catalog.snapshot();
    const { pickupOffice, dropoffOffice } = checkAgainstCatalog(input, catalog);
    const pickup = resolveLocalTime('pickup.at', input.pickup.at, pickupOffice.timeZone);
    const dropoff = resolveLocalTime('dropoff.at', input.dropoff.at, dropoffOffice.timeZone);
    checkRentalPeriod(pickup, dropoff, now);
    checkChargeableAmount(input.price.amount, input.price.currency);

    // Commit 1: the key's claim, the reservation, its history and the safety net of its payment.
    const reservation = await this.insert(input, idempotency, pickup, dropoff, now);
    // Outside any transaction: Stripe answering in time gives the client its payment at once;
    // otherwise the safety net creates the intent a little later (GET shows it then).
    const intent = await this.payment.requestIntent(reservation);
    // Commit 2: the PaymentIntent on the reservation, with the answer a retry replays.
    return this.recordPayment(reservation, intent, idempotency);
  }

  /** Commit 1; a crash after it leaves the key IN_FLIGHT, and a retry that takes it over finds this reservation. */
  private async insert(
    input: CreateReservationInput,
    idempotency: IdempotencyClaim<Reservation> | null,
    pickup: LocalTime,
    dropoff: LocalTime,
    now: Date,
  ): Promise<Reservation> {
    for (let attempt = 1; ; attempt++) {
      const reservation = newReservation(input, pickup, dropoff, now);
      reservation.captureMethod = this.payment.captureMethodOfNewReservation();
      try {
        return await retryLostRaces.execute(() =>
          this.transactions.run(async (manager) => {
            // First: a request with the same key waits here until this one commits or rolls back.
            await idempotency?.claim(manager);
            await this.reservations.insert(manager, reservation);
            await this.payment.scheduleSafetyNet(manager, reservation, now);
            return reservation;
          }),
        );
      } catch (error) {
        if (input.idempotencyKey && isUniqueViolation(error, 'UQ_reservations_idempotency_key', 'reservations.idempotency_key')) {
          // The same request ran before and its answer was lost (a crash): return what it created.
          // Another request with the key (reused after its row was reaped) never sees it.
          const existing = await this.reservations.findByIdempotencyKey(input.idempotencyKey);
          if (existing) {
            if (!input.idempotencyFingerprint || existing.idempotencyFingerprint !== input.idempotencyFingerprint) {
              throw new IdempotencyKeyReusedError();
            }
            // The key's row went with the rollback, unless this request took it over: claimed alone.
            await idempotency?.claim();
            return existing;
          }
        }
        if (attempt < MAX_CODE_ATTEMPTS && isUniqueViolation(error, 'UQ_reservations_code', 'reservations.code')) continue;
        throw error;
      }
    }
  }

  /** Commit 2: the intent (if Stripe gave one) with the stored answer; without one, the answer alone. */
  private async recordPayment(
    reservation: Reservation,
    intent: PaymentIntentRef | null,
    idempotency: IdempotencyClaim<Reservation> | null,
  ): Promise<Reservation> {
    if (!intent) {
      await idempotency?.complete(reservation);
      return reservation;
    }
    return retryLostRaces.execute(({ attempt }) =>
      this.transactions.run(async (manager) => {
        // The copy commit 1 wrote is current, its lock_version checked by the update; a writer
        // that came in between makes the update fail, and the retry reads the row again.
        const current = attempt === 0 ? reservation : (await this.reservations.findByCode(reservation.code, manager))!;
        if (current.attachPaymentIntent(intent.id, intent.clientSecret, intent.captureMethod)) {
          await this.reservations.saveChanges(manager, current, this.clock.now());
        } else {
          this.logger.error({ msg: 'reservation already has another payment intent', reservation: current.code });
        }
        await idempotency?.complete(current, manager);
        return current;
      }),
    );
  }
}

function newReservation(input: CreateReservationInput, pickup: LocalTime, dropoff: LocalTime, now: Date): Reservation {
  return Reservation.create(
    {
      code: generateReservationCode(),
      idempotencyKey: input.idempotencyKey,
      idempotencyFingerprint: input.idempotencyFingerprint ?? null,
      supplierCode: input.supplierCode,
      pickupOfficeCode: input.pickup.officeCode,
      pickup,
      dropoffOfficeCode: input.dropoff.officeCode,
      dropoff,
      carCategoryCode: input.carCategory,
      customer: input.customer,
      price: input.price,
      traceContext: currentTraceContext(),
    },
    now,
  );
}

/** Strict foreign-key validation, one precise error per rule, in the order a form is filled. */
function checkAgainstCatalog(
  input: CreateReservationInput,
  catalog: CatalogSnapshot,
): { pickupOffice: Office; dropoffOffice: Office } {
  const supplier = catalog.supplier(input.supplierCode);
  if (!supplier) throw RULES.supplierNotFound(input.supplierCode);
  if (!supplier.active) throw RULES.supplierInactive(supplier.code);

  const pickupOffice = officeOf(catalog, supplier.code, 'pickup.office_code', input.pickup.officeCode);
  const dropoffOffice = officeOf(catalog, supplier.code, 'dropoff.office_code', input.dropoff.officeCode);

  if (!catalog.carCategory(input.carCategory)) throw RULES.carCategoryNotFound(input.carCategory);
  if (!catalog.offers(supplier.code, input.carCategory)) throw RULES.carCategoryNotOffered(input.carCategory, supplier.code);

  const currencies = catalog.currenciesOf(supplier.code);
  if (!currencies.includes(input.price.currency)) {
    throw RULES.currencyNotAccepted(input.price.currency, supplier.code, currencies);
  }
  return { pickupOffice, dropoffOffice };
}

function officeOf(catalog: CatalogSnapshot, supplierCode: string, field: string, officeCode: string): Office {
  const office = catalog.office(supplierCode, officeCode);
  if (!office) {
    throw catalog.suppliersWithOffice(officeCode).length > 0
      ? RULES.officeNotOfSupplier(field, officeCode, supplierCode)
      : RULES.officeNotFound(field, officeCode);
  }
  if (!office.active) throw RULES.officeInactive(field, officeCode);
  return office;
}
