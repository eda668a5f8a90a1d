import { Injectable } from '@nestjs/common';
import { CatalogRepository, CatalogSnapshot, Office } from '@app/catalog';
import { Clock, IdempotencyKeyReusedError, isUniqueViolation, retryLostRaces, TransactionRunner } from '@app/core';
import { checkChargeableAmount } from '../domain/chargeable-amount';
import { generateReservationCode } from '../domain/reservation-code';
import { checkRentalPeriod, LocalTime, resolveLocalTime } from '../domain/rental-period';
import { Reservation } from '../reservation.entity';
import { RULES } from '../reservation.errors';
import { ReservationsRepository } from '../reservations.repository';
import { ReservationPaymentStarter } from './reservation-payment-starter';

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

@Injectable()
export class CreateReservationHandler {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly reservations: ReservationsRepository,
    private readonly transactions: TransactionRunner,
    private readonly payment: ReservationPaymentStarter,
    private readonly clock: Clock,
  ) {}

  async execute(input: CreateReservationInput): Promise<Reservation> {
    const now = this.clock.now();
    const catalog = await this.catalog.snapshot();
    const { pickupOffice, dropoffOffice } = checkAgainstCatalog(input, catalog);
    const pickup = resolveLocalTime('pickup.at', input.pickup.at, pickupOffice.timeZone);
    const dropoff = resolveLocalTime('dropoff.at', input.dropoff.at, dropoffOffice.timeZone);
    checkRentalPeriod(pickup, dropoff, now);
    checkChargeableAmount(input.price.amount, input.price.currency);

    const reservation = await this.insert(input, pickup, dropoff, now);
    // Stripe answering in time gives the client its payment at once; otherwise the safety net
    // written with the reservation creates the intent a little later (GET shows it then).
    return this.payment.tryInline(reservation);
  }

  private async insert(input: CreateReservationInput, pickup: LocalTime, dropoff: LocalTime, now: Date): Promise<Reservation> {
    for (let attempt = 1; ; attempt++) {
      const reservation = newReservation(input, pickup, dropoff, now);
      try {
        return await retryLostRaces.execute(() =>
          this.transactions.run(async (manager) => {
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
            if (input.idempotencyFingerprint && existing.idempotencyFingerprint === input.idempotencyFingerprint) return existing;
            throw new IdempotencyKeyReusedError();
          }
        }
        if (attempt < MAX_CODE_ATTEMPTS && isUniqueViolation(error, 'UQ_reservations_code', 'reservations.code')) continue;
        throw error;
      }
    }
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
