import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogModule } from '@app/catalog';
import { OutboxModule } from '@app/outbox';
import { ReservationsPersistenceModule } from '@app/reservations';
import { GetReceiptController } from './get-receipt/get-receipt.controller';
import { IssueReceiptHandler, IssueReceiptOutboxHandler } from './issue-receipt/issue-receipt.handler';
import { Receipt } from './receipt.entity';

/** Receipts (SPEC §7): issued per version through the outbox, read by the customer. */
@Module({
  imports: [TypeOrmModule.forFeature([Receipt]), CatalogModule, OutboxModule, ReservationsPersistenceModule],
  controllers: [GetReceiptController],
  providers: [IssueReceiptHandler, IssueReceiptOutboxHandler],
  exports: [IssueReceiptHandler],
})
export class ReceiptsModule {}
