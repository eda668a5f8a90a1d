import { OutboxEvent, OutboxStatus } from '@app/outbox';
import { Receipt, ReceiptContent } from '@app/receipts';
import { Reservation } from '@app/reservations';
import { StripeWebhookEvent } from '@app/stripe-webhook';
import { SimulatedSupplier, SupplierSimulator } from '@app/sandbox';
import request from 'supertest';
import { aCreateBody, aKey } from '../support/builders';
import { waitForProgress } from '../support/wait-for-progress';
import { PaymentFixture, startPaymentFixture } from '../payments/payment-fixture';
import { DatabaseKind } from '../support/test-database';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** The payment fixture plus the three supplier simulators, wired through SUPPLIER_*_URL. */
export interface SupplierFixture extends PaymentFixture {
  simulators: Record<SimulatedSupplier, SupplierSimulator>;
  /**
   * Reserve with a supplier and pay (webhook delivered); returns the code. `pay.capture_before`
   * (unix seconds): the deadline of a hold, with PAYMENT_CAPTURE=after_supplier_confirmation.
   */
  reserveAndPay(supplier?: SimulatedSupplier, pay?: { capture_before?: number }): Promise<string>;
  reservation(code: string): Promise<Reservation>;
  /**
   * Waits until the outbox has nothing due or running (retries scheduled later do not count);
   * fails only if the outbox made no progress for 30 s.
   */
  settle(): Promise<void>;
  events(type: string, code: string): Promise<OutboxEvent[]>;
  /** An operator's request to the admin API, with the token and `X-Operator`. */
  admin(method: 'get' | 'post', path: string, operator?: string): request.Test;
  /**
   * Waits until the product acknowledged a Stripe event (2xx), delivering it again as Stripe
   * would while it is not; `first`: the status code of its first delivery, if it was delivered.
   */
  acknowledge(eventId: string, first: { status_code: number | null } | null): Promise<void>;
  /** Every version of a reservation's receipt, as `version:supplier status:payment status`. */
  receipts(code: string): Promise<string[]>;
  /** Reserved, paid, and refused by the supplier: CONFIRMED_INTERNAL and flagged. */
  rejected(supplier?: SimulatedSupplier): Promise<Reservation>;
}

export async function startSupplierFixture(kind: DatabaseKind, env: Record<string, string> = {}): Promise<SupplierFixture> {
  const simulators = {
    HERTZ: new SupplierSimulator('HERTZ'),
    BUDGET: new SupplierSimulator('BUDGET'),
    EUROPCAR: new SupplierSimulator('EUROPCAR'),
  };
  const [hertz, budget, europcar] = await Promise.all(Object.values(simulators).map((simulator) => simulator.start()));
  const f = await startPaymentFixture(kind, {
    SUPPLIER_HERTZ_URL: hertz.url,
    SUPPLIER_BUDGET_URL: budget.url,
    SUPPLIER_EUROPCAR_URL: europcar.url,
    SUPPLIER_TIMEOUT_MS: '300',
    SUPPLIER_BREAKER_FAILURES: '1000',
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    ...env,
  });
  const outbox = () => f.t.dataSource.getRepository(OutboxEvent);

  const settle = async () => {
    await waitForProgress({
      progress: async () => ({
        busy: await outbox()
          .createQueryBuilder('e')
          .where('e.status = :processing OR (e.status = :pending AND e.next_attempt_at <= :now)', {
            processing: OutboxStatus.PROCESSING,
            pending: OutboxStatus.PENDING,
            now: new Date(),
          })
          .getCount(),
        // Every claim counts an attempt: work is going on even while `busy` stays put.
        attempts: Number((await outbox().createQueryBuilder('e').select('COALESCE(SUM(e.attempts), 0)', 'n').getRawOne<{ n: string }>())?.n),
      }),
      done: ({ busy }) => busy === 0,
      pollMs: 25,
    });
  };

  const reservation = (code: string) => f.t.dataSource.getRepository(Reservation).findOneByOrFail({ code });
  const reserveAndPay = async (supplier: SimulatedSupplier = 'HERTZ', pay: { capture_before?: number } = {}) => {
    const created = await request(f.base)
      .post('/api/v1/reservations')
      .set('Idempotency-Key', aKey())
      .send(aCreateBody({ supplier_code: supplier }))
      .expect(202);
    const code = created.body.reservation_code as string;
    // Stripe answered too late for the request (a busy machine): the outbox creates the
    // PaymentIntent, as the product promises. Its attempts are progress. Read from the database,
    // not through the customer's lookup, which would leave audit entries the tests count.
    const answered = (created.body.payment as { payment_intent_id: string } | null)?.payment_intent_id ?? null;
    const intentOf = async () => answered ?? (await reservation(code)).paymentIntentId;
    const { intent } = await waitForProgress({
      what: `the PaymentIntent of ${code}`,
      progress: async () => ({
        intent: await intentOf(),
        attempts: (await outbox().findOneBy({ type: 'CREATE_PAYMENT_INTENT', aggregateId: code }))?.attempts ?? 0,
      }),
      done: ({ intent }) => intent !== null,
    });
    const paid = await f.sandbox.succeed(intent!, pay);
    await acknowledge(paid.event.id, paid.delivery);
    return code;
  };

  // Stripe delivers again a webhook that was not acknowledged (a busy machine: a timeout); so
  // does the fixture, as long as something moves: a delivery recorded, an outbox attempt.
  const acknowledge = async (eventId: string, first: { status_code: number | null } | null) => {
    let status = first?.status_code ?? null;
    await waitForProgress({
      what: `the acknowledgement of the webhook ${eventId}`,
      progress: async () => ({
        recorded: await f.t.dataSource.getRepository(StripeWebhookEvent).countBy({ eventId }),
        attempts: Number((await outbox().createQueryBuilder('e').select('COALESCE(SUM(e.attempts), 0)', 'n').getRawOne<{ n: string }>())?.n),
      }),
      done: () => status !== null && status < 300,
      tick: async () => {
        status = await f.sandbox.deliver(eventId);
      },
      pollMs: 500,
    });
  };

  return {
    ...f,
    simulators,
    reserveAndPay,
    reservation,
    settle,
    acknowledge,
    receipts: async (code) =>
      (await f.t.dataSource.getRepository(Receipt).find({ where: { reservationCode: code }, order: { version: 'ASC' } })).map(
        (receipt) => `${receipt.version}:${receipt.supplierStatus}:${(JSON.parse(receipt.content) as ReceiptContent).payment_status}`,
      ),
    events: (type, code) => outbox().find({ where: { type, aggregateId: code }, order: { id: 'ASC' } }),
    admin: (method, path, operator = 'alice') =>
      request(f.base)[method](`/api/v1/admin${path}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).set('X-Operator', operator),
    rejected: async (supplier = 'HERTZ') => {
      simulators[supplier].setFaults({ rejectionRate: 1 });
      const code = await reserveAndPay(supplier);
      await settle();
      simulators[supplier].setFaults({});
      return f.t.dataSource.getRepository(Reservation).findOneByOrFail({ code });
    },
    close: async () => {
      await f.close();
      await Promise.all(Object.values(simulators).map((simulator) => simulator.stop()));
    },
  };
}
