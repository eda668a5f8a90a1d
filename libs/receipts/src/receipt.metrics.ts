import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Metrics } from '@app/core';

/** Receipt versions issued, and their e-mails. */
@Injectable()
export class ReceiptMetrics {
  /** Bounded: its one label takes the values of `SupplierStatus`, nothing from a reservation. */
  readonly issued: Counter<'supplier_status'>;
  readonly emails: Counter<'outcome' | 'via'>;

  constructor(metrics: Metrics) {
    this.issued = metrics.counter({
      name: 'receipts_issued_total',
      help: 'Receipt versions issued, by supplier status (pending, confirmed, released)',
      labelNames: ['supplier_status'],
    });
    this.emails = metrics.counter({
      name: 'receipt_emails_total',
      help: 'Receipt e-mails by outcome (sent, failed) and way (smtp, file)',
      labelNames: ['outcome', 'via'],
    });
  }
}
