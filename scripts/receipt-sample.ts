/**
 * Renders the sample receipts of @app/receipts/testing (accents, € and a long office name; one
 * pending with the supplier, in pounds) to docs/receipts/, and the first page of each to PNG with
 * pdftoppm (Debian's poppler-utils) when that is installed.
 *
 *   npm run receipt:sample
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiptContent } from '@app/receipts';
import { aPendingReceiptContent, aReceiptContent, ReceiptPdfRenderer } from '@app/receipts/testing';

const SAMPLES: Record<string, ReceiptContent> = {
  'sample-receipt': aReceiptContent(),
  'sample-receipt-pending': aPendingReceiptContent(),
};

async function main(): Promise<void> {
  const directory = join(__dirname, '..', 'docs', 'receipts');
  mkdirSync(directory, { recursive: true });
  // On the event loop: a script renders two receipts and exits.
  const renderer = new ReceiptPdfRenderer({ pdf: { threads: 0 } });
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
