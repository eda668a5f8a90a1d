import { Catalog1764000000001 } from './1764000000001-catalog';
import { IdempotencyKeys1764000000002 } from './1764000000002-idempotency-keys';
import { Reservations1764000000003 } from './1764000000003-reservations';
import { OutboxEvents1764000000004 } from './1764000000004-outbox-events';
import { Payments1764000000005 } from './1764000000005-payments';
import { SupplierBooking1764000000006 } from './1764000000006-supplier-booking';
import { Receipts1764000000007 } from './1764000000007-receipts';
import { ReceiptEmails1764000000008 } from './1764000000008-receipt-emails';
import { AuditLog1764000000009 } from './1764000000009-audit-log';
import { MoneySafety1764000000010 } from './1764000000010-money-safety';
import { PaymentChecks1764000000011 } from './1764000000011-payment-checks';
import { OutboxLanes1764000000012 } from './1764000000012-outbox-lanes';
import { PaymentCapture1764000000013 } from './1764000000013-payment-capture';
import { StripeMoneyEvents1764000000014 } from './1764000000014-stripe-money-events';
import { TraceContext1764000000015 } from './1764000000015-trace-context';

/** Every migration, in order; the apps run them at start (DATABASE_MIGRATE_ON_START). */
export const MIGRATIONS = [
  Catalog1764000000001,
  IdempotencyKeys1764000000002,
  Reservations1764000000003,
  OutboxEvents1764000000004,
  Payments1764000000005,
  SupplierBooking1764000000006,
  Receipts1764000000007,
  ReceiptEmails1764000000008,
  AuditLog1764000000009,
  MoneySafety1764000000010,
  PaymentChecks1764000000011,
  OutboxLanes1764000000012,
  PaymentCapture1764000000013,
  StripeMoneyEvents1764000000014,
  TraceContext1764000000015,
];
