import { Receipt, ReceiptContent, SendReceiptEmailHandler } from '@app/receipts';
import { ReceiptPdfRenderer } from '@app/receipts/testing';
import { aReservation } from '../support/builders';
import { freePort, TestSmtpServer } from '../support/smtp-server';
import { DATABASE_KINDS } from '../support/test-database';
import { waitUntil } from '../support/wait-for-progress';
import { useIntegrationApp } from './support/integration-app';

const SMTP_TIMEOUT_MS = 1000;
/** SendReceiptEmailHandler's claim: every SMTP step may time out once. */
const CLAIM_MS = SMTP_TIMEOUT_MS * 4;

/**
 * The claim on a receipt's e-mail covers the SMTP exchange alone: its PDF is rendered before
 * it. A render that takes longer than the claim (a thread starved on a busy machine) must not
 * let a second sender claim the same version and mail it twice.
 */
describe.each(DATABASE_KINDS)('the receipt e-mail claim on %s (integration)', (kind) => {
  const smtp = new TestSmtpServer();
  let smtpPort = 0;
  // Before the app starts (hooks run in the order they are declared).
  beforeAll(async () => {
    smtpPort = await freePort();
  });
  const app = useIntegrationApp(kind, {
    // Read when the app starts. The mail server is down then (its port known, nothing listening):
    // the outbox's own send fails, and the test's two senders are the only ones.
    get SMTP_URL() {
      return `smtp://127.0.0.1:${smtpPort}`;
    },
    SMTP_TIMEOUT_MS: String(SMTP_TIMEOUT_MS),
    MAIL_FROM: 'Car Rental Receipts <receipts@rental.example>',
  });

  afterAll(async () => {
    await smtp.stop();
  });

  it('a sender whose PDF render outlasts the claim finds the version mailed by another, and never mails it again', async () => {
    const reservation = aReservation({}, { from: app().clock.now() });
    const { code } = await app().createReservation(reservation);
    await app().deliver(await app().pay(code));
    await app().settle();
    const [receipt] = await app()
      .dataSource.getRepository(Receipt)
      .find({ where: { reservationCode: code } });
    expect(receipt.emailedAt).toBeNull();
    await smtp.start(smtpPort);

    // Sender A's render is held once it has rendered, as if its thread were starved.
    const renderer = app().get(ReceiptPdfRenderer);
    const render = renderer.render.bind(renderer);
    let held = false;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    renderer.render = async (content: ReceiptContent) => {
      const pdf = await render(content);
      if (!held) {
        held = true;
        await gate;
      }
      return pdf;
    };
    const sender = app().get(SendReceiptEmailHandler);
    let first: Promise<string> | undefined;
    try {
      first = sender.execute(receipt.number);
      await waitUntil(() => held);
      // Longer than a claim: had A claimed before rendering, its claim would have run out.
      app().clock.advance(CLAIM_MS + 1000);
      expect(await sender.execute(receipt.number)).toBe('sent');
    } finally {
      release();
      renderer.render = render;
    }
    expect(await first).toBe('already_sent');
    expect(smtp.to(reservation.customer.email)).toHaveLength(1);
  });
});
