import { registerAs } from '@nestjs/config';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseEnvironment } from '@app/core';

/** Who issues the receipts and how they are mailed (SPEC §7, §8). */
export const receiptsConfig = registerAs('receipts', () => {
  const env = parseEnvironment();
  return {
    company: {
      name: env.RECEIPT_COMPANY_NAME ?? 'Reservations API Car Rental',
      /** Printed under the name, one line per `;`. */
      address: (env.RECEIPT_COMPANY_ADDRESS ?? 'Calle de Ejemplo 1; 28001 Madrid; Spain')
        .split(';')
        .map((line) => line.trim())
        .filter((line) => line.length > 0),
      supportEmail: env.RECEIPT_SUPPORT_EMAIL ?? 'support@reservations.example',
    },
    mail: {
      /** Unset: every message is written as an `.eml` file under `directory` instead of sent. */
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM ?? 'Reservations API <receipts@reservations.example>',
      directory: env.MAIL_DIR ?? join(process.cwd(), 'var', 'mail'),
      /** Connection, greeting and each SMTP command. */
      timeoutMs: env.SMTP_TIMEOUT_MS ?? 10_000,
    },
    pdf: {
      /** Worker threads rendering PDFs; 0: on the event loop. One core is left to the event loop. */
      threads: env.RECEIPT_PDF_THREADS ?? Math.max(1, availableParallelism() - 1),
    },
  };
});

export type ReceiptsConfig = ReturnType<typeof receiptsConfig>;
