import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createTransport, Transporter } from 'nodemailer';
import { inSpan, SpanKind } from '@app/core';
import { receiptsConfig, ReceiptsConfig } from '../receipts.config';

export interface OutgoingMail {
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
  /** Deterministic, so that a copy sent twice is recognisably the same message. */
  messageId: string;
  attachments: { filename: string; content: Buffer; contentType: string }[];
}

/** Where a message went: the SMTP server that accepted it, or the file it was written to. */
export type Delivery = { via: 'smtp'; response: string } | { via: 'file'; path: string };

/**
 * Sends over `SMTP_URL` with nodemailer. Without it (the embedded default) each message is
 * written as an `.eml` file under `MAIL_DIR`, which any mail client opens.
 */
@Injectable()
export class ReceiptMailer implements OnModuleDestroy {
  private readonly logger = new Logger('ReceiptMailer');
  private readonly smtp?: Transporter;
  private readonly files: Transporter;

  constructor(@Inject(receiptsConfig.KEY) private readonly config: ReceiptsConfig) {
    const { smtpUrl, timeoutMs } = config.mail;
    if (smtpUrl) {
      this.smtp = createTransport({
        url: smtpUrl,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      });
    }
    this.files = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  }

  get mode(): Delivery['via'] {
    return this.smtp ? 'smtp' : 'file';
  }

  async send(mail: OutgoingMail): Promise<Delivery> {
    const message = { from: this.config.mail.from, ...mail };
    const smtp = this.smtp;
    if (smtp) {
      // No instrumentation package exists for nodemailer: the SMTP exchange gets a span of its own.
      return inSpan('smtp send', { kind: SpanKind.CLIENT, attributes: this.smtpAttributes(mail) }, async (span) => {
        const info = (await smtp.sendMail(message)) as { response: string };
        span.setAttribute('smtp.response.code', Number(/^\d{3}/.exec(info.response)?.[0] ?? 0));
        return { via: 'smtp', response: info.response };
      });
    }
    const { message: raw } = (await this.files.sendMail(message)) as { message: Buffer };
    const directory = this.config.mail.directory;
    await mkdir(directory, { recursive: true });
    const path = join(directory, `${fileNameOf(mail.messageId)}.eml`);
    // Written whole or not at all: a reader never sees half a message.
    await writeFile(`${path}.tmp`, raw);
    await rename(`${path}.tmp`, path);
    this.logger.log({ msg: `No SMTP_URL: e-mail written to ${relative(process.cwd(), path) || path}`, path });
    return { via: 'file', path };
  }

  /** Where the mail goes and which message it is; never an address (the recipient is personal data). */
  private smtpAttributes(mail: OutgoingMail): Record<string, string | number> {
    const url = new URL(this.config.mail.smtpUrl!);
    return {
      'server.address': url.hostname,
      'server.port': Number(url.port || (url.protocol === 'smtps:' ? 465 : 587)),
      'network.protocol.name': 'smtp',
      'email.message.id': mail.messageId,
    };
  }

  onModuleDestroy(): void {
    this.smtp?.close();
  }
}

/** `<receipt-R-2026-000123@example.com>` → `receipt-R-2026-000123`. */
function fileNameOf(messageId: string): string {
  return messageId.replace(/^<|@.*$/g, '').replace(/[^A-Za-z0-9._-]/g, '_');
}
