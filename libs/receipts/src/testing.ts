// The lib's testing entry (@app/receipts/testing): for its specs, the tests and scripts/receipt-sample.ts, which
// renders sample receipts without the app; not for other libs.
import { CatalogRepository, CatalogSnapshot } from '@app/catalog';
import { Reservation } from '@app/reservations';
import { ReceiptComposer } from './issue-receipt/receipt-composer';
import { ReceiptContent } from './receipt.entity';
import { ReceiptsConfig } from './receipts.config';
import { supplierNote } from './render/receipt-wording';

export { ReceiptPdfRenderer } from './render/receipt-pdf.renderer';

/** A receipt confirmed by the supplier, with accents, € and a long office name: docs/receipts/sample-receipt.pdf. */
export function aReceiptContent(overrides: Partial<ReceiptContent> = {}): ReceiptContent {
  return {
    number: 'R-2026-000123',
    version: 1,
    issued_at: '2026-11-22T10:15:00.000Z',
    issuer: {
      name: 'Reservations API Car Rental',
      address: ['Calle de Ejemplo 1', '28001 Madrid', 'Spain'],
      support_email: 'support@reservations.example',
    },
    reservation_code: 'K7M2Q9XD',
    customer: { first_name: 'Ana María', last_name: 'Pérez Łódź-Zürich', email: 'ana.perez@example.com' },
    supplier: { code: 'HERTZ', name: 'Hertz' },
    pickup: {
      office_code: 'GRU-T3',
      office_name: 'São Paulo Guarulhos Airport, Terminal 3',
      city: 'São Paulo',
      at: '2027-03-01T10:00',
      time_zone: 'America/Sao_Paulo',
    },
    dropoff: {
      office_code: 'GRU-T3',
      office_name: 'São Paulo Guarulhos Airport, Terminal 3',
      city: 'São Paulo',
      at: '2027-03-05T09:30',
      time_zone: 'America/Sao_Paulo',
    },
    car_category: { code: 'CDMR', description: 'Compact, 4-door, manual, air conditioning' },
    price: { amount: 18950, currency: 'EUR', formatted: '€189.50' },
    payment_reference: 'pi_3QxSample0123456789',
    payment_status: 'charged',
    supplier_status: 'confirmed',
    supplier_confirmation: 'HZ-48213377',
    supplier_note: null,
    ...overrides,
  };
}

/**
 * A receipt still pending with the supplier (no confirmation number, a note instead), in pounds, another
 * customer and office: docs/receipts/sample-receipt-pending.pdf.
 */
export function aPendingReceiptContent(overrides: Partial<ReceiptContent> = {}): ReceiptContent {
  const office = { office_code: 'LHR-T5', office_name: 'London Heathrow Terminal 5', city: 'London' };
  return aReceiptContent({
    number: 'R-2026-000124',
    customer: { first_name: 'Oliver', last_name: 'Brønnum', email: 'oliver@example.co.uk' },
    supplier: { code: 'EUROPCAR', name: 'Europcar' },
    pickup: { ...office, at: '2027-06-10T08:00', time_zone: 'Europe/London' },
    dropoff: { ...office, at: '2027-06-12T18:00', time_zone: 'Europe/London' },
    price: { amount: 24500, currency: 'GBP', formatted: '£245.00' },
    supplier_status: 'pending',
    supplier_confirmation: null,
    supplier_note: 'Pending with the supplier — your reservation is confirmed by us.',
    ...overrides,
  });
}

/** Pending with the supplier while the money is only held on the card (PAYMENT_CAPTURE=after_supplier_confirmation). */
export function aHeldReceiptContent(overrides: Partial<ReceiptContent> = {}): ReceiptContent {
  return aPendingReceiptContent({ payment_status: 'held', ...overrides });
}

/** The version that follows a held one when the supplier could not book the car: the hold released, nothing charged. */
export function aReleasedReceiptContent(overrides: Partial<ReceiptContent> = {}): ReceiptContent {
  return aPendingReceiptContent({
    version: 2,
    payment_status: 'not_charged',
    supplier_status: 'released',
    supplier_note: supplierNote('released'),
    ...overrides,
  });
}

const CREATED_AT = new Date('2026-11-22T10:00:00.000Z');

/**
 * A reservation paid at once, or with `hold` held on the card (AUTHORIZED), moved there by its own
 * methods: a spec takes it on with them (`deferSupplierBooking`, `rejectBySupplier`, …).
 */
export function aPaidReservation(options: { hold?: boolean } = {}): Reservation {
  const reservation = Reservation.create(
    {
      code: 'K7M2Q9XD',
      idempotencyKey: null,
      supplierCode: 'HERTZ',
      pickupOfficeCode: 'MAD-T4',
      pickup: {
        local: '2027-03-01T10:00',
        timeZone: 'Europe/Madrid',
        instant: new Date('2027-03-01T09:00:00.000Z'),
      },
      dropoffOfficeCode: 'BCN-T1',
      dropoff: {
        local: '2027-03-05T10:00',
        timeZone: 'Europe/Madrid',
        instant: new Date('2027-03-05T09:00:00.000Z'),
      },
      carCategoryCode: 'CDMR',
      customer: { firstName: 'Ana', lastName: 'Pérez', email: 'ana@example.com', phone: '+34600111222' },
      price: { amount: 18950, currency: 'EUR' },
    },
    CREATED_AT,
  );
  reservation.attachPaymentIntent(
    'pi_3QxSample0123456789',
    'pi_3QxSample0123456789_secret',
    options.hold ? 'manual' : 'automatic',
  );
  const outcome = options.hold
    ? { kind: 'authorized' as const, captureBefore: null }
    : { kind: 'succeeded' as const };
  reservation.applyPaymentOutcome(outcome, 'test payment', CREATED_AT);
  return reservation;
}

/** The issuer only: what composing and reading receipts need (mail and PDF settings are left out). */
export function aReceiptsConfig(): ReceiptsConfig {
  const company = {
    name: 'Reservations API Car Rental',
    address: ['Calle de Ejemplo 1'],
    supportEmail: 'support@reservations.example',
  };
  return { company } as ReceiptsConfig;
}

/** The composer with an empty catalog (names fall back to codes) and the default issuer. */
export function aReceiptComposer(): ReceiptComposer {
  const catalog = new CatalogSnapshot({
    suppliers: [],
    offices: [],
    categories: [],
    supplierCategories: [],
    supplierCurrencies: [],
  });
  return new ReceiptComposer(
    { snapshot: () => Promise.resolve(catalog) } as unknown as CatalogRepository,
    aReceiptsConfig(),
  );
}
