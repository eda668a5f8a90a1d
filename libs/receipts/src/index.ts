export * from './get-receipt/get-receipt.controller';
export * from './issue-receipt/issue-receipt.handler';
export * from './receipt-events';
export * from './receipt.entity';
export * from './receipts.module';
