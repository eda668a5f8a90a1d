import { Module } from '@nestjs/common';
import { AuditModule } from '@app/core';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogModule } from '@app/catalog';
import { OutboxModule } from '@app/outbox';
import { ReservationsPersistenceModule } from '@app/reservations';
import { GetReceiptController, GetReceiptHandler } from './get-receipt/get-receipt.controller';
import { IssueReceiptHandler, IssueReceiptOutboxHandler } from './issue-receipt/issue-receipt.handler';
import { ReceiptComposer } from './issue-receipt/receipt-composer';
import { Receipt } from './receipt.entity';
import { ReceiptMetrics } from './receipt.metrics';
import { receiptsConfig } from './receipts.config';
import { ReceiptsRepository } from './receipts.repository';
import { ReceiptPdfRenderer } from './render/receipt-pdf.renderer';
import { ReceiptMailer } from './send-receipt-email/receipt-mailer';
import { SendReceiptEmailHandler, SendReceiptEmailOutboxHandler } from './send-receipt-email/send-receipt-email.handler';

/** Receipts (SPEC §7): issued per version through the outbox, rendered to PDF, mailed once, read by the customer. */
@Module({
  imports: [
    AuditModule,
    TypeOrmModule.forFeature([Receipt]),
    ConfigModule.forFeature(receiptsConfig),
    CatalogModule,
    OutboxModule,
    ReservationsPersistenceModule,
  ],
  controllers: [GetReceiptController],
  providers: [
    ReceiptsRepository,
    ReceiptMetrics,
    IssueReceiptHandler,
    IssueReceiptOutboxHandler,
    ReceiptComposer,
    GetReceiptHandler,
    ReceiptPdfRenderer,
    ReceiptMailer,
    SendReceiptEmailHandler,
    SendReceiptEmailOutboxHandler,
  ],
  exports: [IssueReceiptHandler, SendReceiptEmailHandler, ReceiptPdfRenderer, ReceiptsRepository],
})
export class ReceiptsModule {}
