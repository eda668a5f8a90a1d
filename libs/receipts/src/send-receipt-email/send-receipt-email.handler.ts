import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@app/core';
import { NonRetryableOutboxError, OutboxEventHandler, OutboxHandler, OutboxMessage, RetryOutboxEventLater } from '@app/outbox';
import { SEND_RECEIPT_EMAIL } from '../receipt-events';
import { ReceiptMetrics } from '../receipt.metrics';
import { receiptsConfig, ReceiptsConfig } from '../receipts.config';
import { ReceiptsRepository } from '../receipts.repository';
import { composeReceiptEmail } from '../render/receipt-email';
import { ReceiptPdfRenderer } from '../render/receipt-pdf.renderer';
import { ReceiptMailer } from './receipt-mailer';

export type SendOutcome = 'sent' | 'already_sent';

/**
 * Mails one receipt version, PDF attached, once. A claim on the receipt row keeps a second
 * sender away while the first is at it; the send is recorded when the mail server accepted it.
 * The one gap no protocol closes: a process that dies after the server's "250 OK" and before
 * recording it sends that version again, with the same Message-ID (docs/receipts.md).
 */
@Injectable()
export class SendReceiptEmailHandler {
  constructor(
    private readonly receipts: ReceiptsRepository,
    private readonly renderer: ReceiptPdfRenderer,
    private readonly mailer: ReceiptMailer,
    private readonly metrics: ReceiptMetrics,
    private readonly clock: Clock,
    @Inject(receiptsConfig.KEY) private readonly config: ReceiptsConfig,
  ) {}

  async execute(receiptNumber: string): Promise<SendOutcome> {
    const receipt = await this.receipts.findByNumber(receiptNumber);
    if (!receipt) throw new NonRetryableOutboxError(`no receipt ${receiptNumber}`);
    if (receipt.emailedAt) return 'already_sent';

    // Rendered before the claim: the claim then covers the SMTP exchange alone, which its length
    // is measured for. A PDF rendered inside it (a low-priority thread on a busy machine) could
    // outlast it, and a second worker would claim and send the same version again.
    const content = this.receipts.contentOf(receipt);
    const body = composeReceiptEmail(content);
    const pdf = await this.renderer.render(content);

    const now = this.clock.now();
    // Long enough for every SMTP step to time out once: a live sender is never overtaken.
    const claimMs = this.config.mail.timeoutMs * 4;
    if (!(await this.receipts.claimEmail(receipt.id, now, new Date(now.getTime() + claimMs)))) {
      const current = await this.receipts.findByNumber(receiptNumber);
      if (current?.emailedAt) return 'already_sent';
      throw new RetryOutboxEventLater(claimMs, `receipt ${receiptNumber} is being mailed by another worker`);
    }

    let sent = false;
    try {
      const messageId = `<receipt-${receipt.number}@${domainOf(this.config.mail.from)}>`;
      await this.mailer.send({
        to: { name: `${content.customer.first_name} ${content.customer.last_name}`, address: content.customer.email },
        ...body,
        messageId,
        attachments: [{ filename: `${receipt.number}.pdf`, content: pdf, contentType: 'application/pdf' }],
      });
      sent = true;
      this.metrics.emails.inc({ outcome: 'sent', via: this.mailer.mode });
      await this.receipts.markEmailed(receipt.id, this.clock.now(), messageId);
      return 'sent';
    } catch (error) {
      if (!sent) this.metrics.emails.inc({ outcome: 'failed', via: this.mailer.mode });
      await this.receipts.releaseEmailClaim(receipt.id).catch(() => undefined);
      throw mailError(error);
    }
  }
}

/** SEND_RECEIPT_EMAIL, enqueued with each receipt version. */
@Injectable()
@OutboxHandler(SEND_RECEIPT_EMAIL, { lane: 'mail', concurrency: 8, background: true })
export class SendReceiptEmailOutboxHandler implements OutboxEventHandler<{ receiptNumber: string }> {
  constructor(private readonly send: SendReceiptEmailHandler) {}

  // Idempotent: a version already mailed is not mailed again.
  async handle(message: OutboxMessage<{ receiptNumber: string }>): Promise<void> {
    await this.send.execute(message.payload.receiptNumber);
  }
}

function domainOf(from: string): string {
  return /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
}

/**
 * What the outbox keeps of a failed send: the SMTP code, never an address (the server's text
 * often quotes the recipient). A recipient the server refuses for good is not retried.
 */
function mailError(error: unknown): Error {
  if (error instanceof NonRetryableOutboxError || error instanceof RetryOutboxEventLater) return error;
  const { code, responseCode, message } = error as { code?: string; responseCode?: number; message?: string };
  const detail = `mail not sent: ${[code, responseCode].filter(Boolean).join(' ') || 'error'}: ${maskAddresses(message ?? String(error))}`;
  if (code === 'EENVELOPE' && responseCode !== undefined && responseCode >= 500) {
    return new NonRetryableOutboxError(detail, { cause: error });
  }
  return new Error(detail, { cause: error });
}

function maskAddresses(text: string): string {
  return text.replace(/[^\s<>"'()[\]]+@[^\s<>"'()[\]]+/g, '<address>');
}
