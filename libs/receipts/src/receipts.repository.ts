import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { isUniqueViolation, TransactionRunner } from '@app/core';
import { Receipt, ReceiptContent, ReceiptHeading, SupplierStatus } from './receipt.entity';
import { ReceiptMetrics } from './receipt.metrics';
import { receiptsConfig, ReceiptsConfig } from './receipts.config';
import { ReceiptVersionTakenError } from './receipts.errors';
import { paymentStatusOf } from './render/receipt-wording';

export interface NewReceiptVersion {
  reservationCode: string;
  version: number;
  status: SupplierStatus;
  issuedAt: Date;
}

/** Receipts and the claim that keeps a version's e-mail to one sender at a time. */
@Injectable()
export class ReceiptsRepository {
  constructor(
    @InjectRepository(Receipt) private readonly receipts: Repository<Receipt>,
    private readonly transactions: TransactionRunner,
    private readonly metrics: ReceiptMetrics,
    @Inject(receiptsConfig.KEY) private readonly config: ReceiptsConfig,
  ) {}

  /**
   * Inserts the next version of a reservation's receipt in the caller's transaction and returns
   * its number. The number comes from the row's id, so the row goes in first under a number
   * unique until then and gets its number and content in the same transaction. A version issued
   * by another run meanwhile is `ReceiptVersionTakenError`: the caller's transaction lost a race.
   */
  async insertVersion(
    manager: EntityManager,
    receipt: NewReceiptVersion,
    content: (heading: ReceiptHeading) => ReceiptContent,
  ): Promise<string> {
    const { reservationCode, version, status, issuedAt } = receipt;
    const { identifiers } = await manager
      .insert(Receipt, { reservationCode, version, number: `tmp-${reservationCode}-${version}`, supplierStatus: status, content: '{}', issuedAt })
      .catch((error: unknown) => {
        // Either key may report it (the provisional number is per reservation and version too);
        // MySQL names the key, SQLite the columns.
        const taken = ['UQ_receipts_reservation_version', 'UQ_receipts_number', 'receipts.reservation_code', 'receipts.number'];
        if (isUniqueViolation(error, ...taken)) {
          throw new ReceiptVersionTakenError(reservationCode, version);
        }
        throw error;
      });
    const number = receiptNumber(issuedAt, Number(identifiers[0].id));
    await manager.update(Receipt, { id: identifiers[0].id }, { number, content: JSON.stringify(content({ number, version, issuedAt, status })) });
    this.transactions.afterCommit(manager, () => this.metrics.issued.inc({ supplier_status: status }));
    return number;
  }

  latestFor(reservationCode: string, manager: EntityManager = this.receipts.manager): Promise<Receipt | null> {
    return manager.findOne(Receipt, { where: { reservationCode }, order: { version: 'DESC' } });
  }

  findByNumber(number: string): Promise<Receipt | null> {
    return this.receipts.findOneBy({ number });
  }

  /**
   * What the receipt says; one issued before the issuer was recorded shows today's issuer, and
   * one issued before cards were held says it was charged.
   */
  contentOf(receipt: Receipt): ReceiptContent {
    const content = JSON.parse(receipt.content) as ReceiptContent;
    const { name, address, supportEmail } = this.config.company;
    return {
      ...content,
      issuer: content.issuer ?? { name, address, support_email: supportEmail },
      payment_status: paymentStatusOf(content),
    };
  }

  /**
   * Takes the right to send this version's e-mail until `until`: true for one caller only,
   * and never once it was sent. A sender that died lets the claim lapse.
   */
  async claimEmail(id: number, now: Date, until: Date): Promise<boolean> {
    const result = await this.transactions.single((manager) =>
      manager
        .createQueryBuilder()
        .update(Receipt)
        .set({ emailClaimedUntil: until })
        .where('id = :id AND emailed_at IS NULL AND (email_claimed_until IS NULL OR email_claimed_until < :now)', { id, now })
        .execute(),
    );
    return result.affected === 1;
  }

  async markEmailed(id: number, at: Date, messageId: string): Promise<void> {
    await this.transactions.single((manager) =>
      manager.update(Receipt, { id }, { emailedAt: at, emailMessageId: messageId, emailClaimedUntil: null }),
    );
  }

  /** The send failed: the next attempt may claim at once. */
  async releaseEmailClaim(id: number): Promise<void> {
    await this.transactions.single((manager) => manager.update(Receipt, { id }, { emailClaimedUntil: null }));
  }
}

/** `R-2026-000123`: the year of issue and the receipt's id, for humans to read out on the phone. */
export function receiptNumber(issuedAt: Date, id: number): string {
  return `R-${issuedAt.getUTCFullYear()}-${String(id).padStart(6, '0')}`;
}
