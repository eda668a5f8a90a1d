/**
 * Renders a sample receipt (accents, € and a long office name) to docs/receipts/, and its
 * first page to PNG with pdftoppm (Debian's poppler-utils) when that is installed.
 *
 *   npm run receipt:sample
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiptContent } from '@app/receipts';
import { ReceiptPdfRenderer } from '@app/receipts/testing';

const SAMPLES: Record<string, ReceiptContent> = {
  'sample-receipt': {
    number: 'R-2026-000123',
    version: 1,
    issued_at: '2026-11-22T10:15:00.000Z',
    issuer: { name: 'Reservations API Car Rental', address: ['Calle de Ejemplo 1', '28001 Madrid', 'Spain'], support_email: 'support@reservations.example' },
    reservation_code: 'K7M2Q9XD',
    customer: { first_name: 'Ana María', last_name: 'Pérez Łódź-Zürich', email: 'ana.perez@example.com' },
    supplier: { code: 'HERTZ', name: 'Hertz' },
    pickup: { office_code: 'GRU-T3', office_name: 'São Paulo Guarulhos Airport, Terminal 3', city: 'São Paulo', at: '2027-03-01T10:00', time_zone: 'America/Sao_Paulo' },
    dropoff: { office_code: 'GRU-T3', office_name: 'São Paulo Guarulhos Airport, Terminal 3', city: 'São Paulo', at: '2027-03-05T09:30', time_zone: 'America/Sao_Paulo' },
    car_category: { code: 'CDMR', description: 'Compact, 4-door, manual, air conditioning' },
    price: { amount: 18950, currency: 'EUR', formatted: '€189.50' },
    payment_reference: 'pi_3QxSample0123456789',
    supplier_status: 'confirmed',
    supplier_confirmation: 'HZ-48213377',
    supplier_note: null,
  },
};
SAMPLES['sample-receipt-pending'] = {
  ...SAMPLES['sample-receipt'],
  number: 'R-2026-000124',
  customer: { first_name: 'Oliver', last_name: 'Brønnum', email: 'oliver@example.co.uk' },
  supplier: { code: 'EUROPCAR', name: 'Europcar' },
  pickup: { office_code: 'LHR-T5', office_name: 'London Heathrow Terminal 5', city: 'London', at: '2027-06-10T08:00', time_zone: 'Europe/London' },
  dropoff: { office_code: 'LHR-T5', office_name: 'London Heathrow Terminal 5', city: 'London', at: '2027-06-12T18:00', time_zone: 'Europe/London' },
  price: { amount: 24500, currency: 'GBP', formatted: '£245.00' },
  supplier_status: 'pending',
  supplier_confirmation: null,
  supplier_note: 'Pending with the supplier — your reservation is confirmed by us.',
};

async function main(): Promise<void> {
  const directory = join(__dirname, '..', 'docs', 'receipts');
  mkdirSync(directory, { recursive: true });
  const renderer = new ReceiptPdfRenderer();
  for (const [name, content] of Object.entries(SAMPLES)) {
    const pdf = join(directory, `${name}.pdf`);
    writeFileSync(pdf, await renderer.render(content));
    let png: string | null = join(directory, name);
    try {
      execFileSync('pdftoppm', ['-png', '-r', '80', '-singlefile', '-f', '1', pdf, png]);
      png += '.png';
    } catch {
      png = null;
    }
    process.stdout.write(`${JSON.stringify({ pdf, png: png ?? 'pdftoppm not found: apt-get install poppler-utils' })}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
