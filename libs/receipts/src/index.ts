export { IssueReceiptHandler } from './issue-receipt/issue-receipt.handler';
export { SEND_RECEIPT_EMAIL } from './receipt-events';
export { Receipt } from './receipt.entity';
export type { ReceiptContent } from './receipt.entity';
export { ReceiptsModule } from './receipts.module';
export { SendReceiptEmailHandler } from './send-receipt-email/send-receipt-email.handler';
