import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { extname, join } from 'node:path';
import Piscina from 'piscina';
import type { ReceiptContent } from '../receipt.entity';
import { receiptsConfig, ReceiptsConfig } from '../receipts.config';
import { loadReceiptFonts, ReceiptFonts, renderReceiptPdf } from './receipt-pdf';

/**
 * Renders receipts to PDF off the event loop, in a pool of worker threads (piscina; ADR 0014):
 * a render is some 10 ms of CPU that would otherwise stall every request and booking of the
 * process. `RECEIPT_PDF_THREADS=0` renders inline instead. Threads start on the first render
 * and stop when idle, so a process that renders nothing pays nothing.
 */
@Injectable()
export class ReceiptPdfRenderer implements OnModuleDestroy {
  private pool?: Piscina<ReceiptContent, Uint8Array>;
  private fonts?: ReceiptFonts;

  constructor(@Inject(receiptsConfig.KEY) private readonly config: Pick<ReceiptsConfig, 'pdf'>) {}

  async render(receipt: ReceiptContent): Promise<Buffer> {
    if (this.config.pdf.threads === 0) return renderReceiptPdf(receipt, (this.fonts ??= loadReceiptFonts()));
    // A Buffer crosses the thread boundary as a plain Uint8Array over the same bytes.
    const bytes = await this.threads().run(receipt);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Renders done by the pool's threads since start (0 when rendering inline). */
  get renderedInThreads(): number {
    return this.pool?.completed ?? 0;
  }

  async onModuleDestroy(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }

  private threads(): Piscina<ReceiptContent, Uint8Array> {
    this.pool ??= new Piscina({
      filename: WORKER,
      minThreads: 0,
      maxThreads: this.config.pdf.threads,
      idleTimeout: 60_000,
      // Below the event loop and the database in the scheduler's eyes: when the cores are
      // short, bookings and requests go first and receipts wait (Linux: a nice value per thread).
      niceIncrement: 10,
      // From the TypeScript sources (tests, ts-node scripts) the thread compiles its few files
      // itself; the built app runs the compiled worker.
      execArgv: WORKER.endsWith('.ts') ? ['--require', 'ts-node/register/transpile-only'] : [],
    });
    return this.pool;
  }
}

const WORKER = join(__dirname, `receipt-pdf.worker${extname(__filename)}`);
