import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { OutboxEvent, OutboxStatus } from '@app/outbox';
import { SEND_STATUS_WEBHOOK } from '@app/lifecycle-events';
import { Reservation, ReservationStatus, ReservationStatusHistory } from '@app/reservations';
import { aCreateBody, aKey, CreateBody } from '../support/builders';
import { DATABASE_KINDS, DatabaseKind } from '../support/test-database';
import { waitForProgress } from '../support/wait-for-progress';
import { startSupplierFixture, SupplierFixture } from '../suppliers/supplier-fixture';
import { rules, WebhookDelivery, WebhookReceiver } from './support/webhook-receiver';

/** A Standard Webhooks secret: whsec_ and 32 random bytes in base64. */
const aSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** The variables each fixture sets; removed after it, so that the next one inherits none. */
const WEBHOOK_ENV = [
  'STATUS_WEBHOOK_URL',
  'STATUS_WEBHOOK_SECRET',
  'STATUS_WEBHOOK_TIMEOUT_MS',
  'OUTBOX_BACKOFF_BASE_MS',
  'OUTBOX_BACKOFF_MAX_MS',
  'OUTBOX_POLL_INTERVAL_MS',
];
const forgetEnv = () => {
  for (const name of WEBHOOK_ENV) delete process.env[name];
};

/** A customer whose every datum is distinctive, so that a body that leaks any of them is caught. */
const customerOf = (n: number): CreateBody['customer'] => ({
  first_name: 'Wilhelmina',
  last_name: `Quackenbush${'abcdefghij'[n % 10]}`,
  email: `wilhelmina.webhooks${n}@example.com`,
  phone: `+3460077${String(1000 + n)}`,
});

/** The progress each status of a booked, paid reservation shows (SPEC: code, payment, supplier). */
const PROGRESS: Partial<Record<ReservationStatus, { code: string; payment: string; supplier: string }>> = {
  [ReservationStatus.CREATED]: { code: 'issued', payment: 'pending', supplier: 'pending' },
  [ReservationStatus.PAYMENT_IN_PROGRESS]: { code: 'issued', payment: 'pending', supplier: 'pending' },
  [ReservationStatus.PAID]: { code: 'issued', payment: 'succeeded', supplier: 'pending' },
  [ReservationStatus.SUPPLIER_CONFIRMED]: { code: 'issued', payment: 'succeeded', supplier: 'confirmed' },
};

interface Change {
  /** The webhook-id the product promises: `evt_<code>_<history row id>`. */
  id: string;
  historyId: number;
  from: ReservationStatus | null;
  to: ReservationStatus;
  at: Date;
}

/** What the tests do with the app: reserve with a given customer, pay, read the history and the outbox. */
function driver(f: () => SupplierFixture, receiver: () => WebhookReceiver) {
  const outbox = () => f().t.dataSource.getRepository(OutboxEvent);
  const reservation = (code: string) => f().t.dataSource.getRepository(Reservation).findOneByOrFail({ code });
  const attempts = async () =>
    Number(
      (
        await outbox()
          .createQueryBuilder('e')
          .select('COALESCE(SUM(e.attempts), 0)', 'n')
          .getRawOne<{ n: string }>()
      )?.n,
    );

  /** Waits until `done`; fails only when neither the receiver nor the outbox moved for 30 s. */
  const waitFor = async (what: string, done: () => Promise<boolean>) => {
    await waitForProgress({
      what,
      progress: async () => ({
        deliveries: receiver().deliveries.length,
        attempts: await attempts(),
        done: await done(),
      }),
      done: (progress) => progress.done,
      pollMs: 25,
    });
  };

  const reserve = async (n: number): Promise<{ code: string; intent: string }> => {
    const created = await request(f().base)
      .post('/api/v1/reservations')
      .set('Idempotency-Key', aKey())
      .send(aCreateBody({ customer: customerOf(n) }))
      .expect(202);
    const code = created.body.reservation_code as string;
    // Stripe answered too late for the request (a busy machine): the outbox creates the PaymentIntent.
    const answered =
      (created.body.payment as { payment_intent_id: string } | null)?.payment_intent_id ?? null;
    let intent = answered;
    await waitFor(
      `the PaymentIntent of ${code}`,
      async () => (intent ??= (await reservation(code)).paymentIntentId) !== null,
    );
    return { code, intent: intent! };
  };

  const pay = async (intent: string) => {
    const paid = await f().sandbox.succeed(intent);
    await f().acknowledge(paid.event.id, paid.delivery);
  };

  /** The changes of status of a reservation (a history row that keeps the status is none), oldest first. */
  const changesOf = async (code: string): Promise<Change[]> => {
    const { id } = await reservation(code);
    const rows = await f()
      .t.dataSource.getRepository(ReservationStatusHistory)
      .find({ where: { reservationId: id }, order: { id: 'ASC' } });
    return rows
      .filter((row) => row.fromStatus !== row.toStatus)
      .map((row) => ({
        id: `evt_${code}_${row.id}`,
        historyId: row.id,
        from: row.fromStatus,
        to: row.toStatus,
        at: row.createdAt,
      }));
  };

  const webhookEvents = (code: string) =>
    outbox().find({ where: { type: SEND_STATUS_WEBHOOK, aggregateId: code }, order: { id: 'ASC' } });

  /** Booked (SUPPLIER_CONFIRMED), and every change of it queued for the webhook and DONE. */
  const allDelivered = async (code: string) => {
    if ((await reservation(code)).status !== ReservationStatus.SUPPLIER_CONFIRMED) return false;
    const [changes, events] = await Promise.all([changesOf(code), webhookEvents(code)]);
    return events.length === changes.length && events.every((event) => event.status === OutboxStatus.DONE);
  };

  /** Makes every pending event of the webhooks lane due now (a Retry-After the test does not sit out). */
  const dueNow = () =>
    outbox()
      .createQueryBuilder()
      .update()
      .set({ nextAttemptAt: new Date(Date.now() - 1000) })
      .where("status = 'PENDING' AND type = :type", { type: SEND_STATUS_WEBHOOK })
      .execute();

  return { outbox, reservation, waitFor, reserve, pay, changesOf, webhookEvents, allDelivered, dueNow };
}

/**
 * Every delivery of one reservation, in arrival order, tried its events strictly in order: no
 * event was tried before every earlier one had been accepted.
 */
function expectInOrder(deliveries: WebhookDelivery[], changes: Change[]): void {
  const order = changes.map((change) => change.id);
  let next = 0;
  const tried: string[] = [];
  for (const delivery of deliveries) {
    tried.push(`${delivery.id}:${delivery.answer}`);
    expect({ tried, expected: order[next] }).toEqual({ tried, expected: delivery.id });
    if (typeof delivery.answer === 'number' && delivery.answer < 300) next += 1;
  }
  expect(next).toBe(order.length);
}

/** The body says what the change was, in the documented shape, and nothing of the customer. */
function expectBodyOf(
  delivery: WebhookDelivery,
  change: Change,
  code: string,
  customer: CreateBody['customer'],
): void {
  expect(delivery.body).toEqual({
    type: `reservation.${change.to.toLowerCase()}`,
    timestamp: change.at.toISOString(),
    data: {
      reservation_code: code,
      status: change.to,
      previous_status: change.from,
      progress: PROGRESS[change.to],
      changed_at: change.at.toISOString(),
    },
  });
  const seen = delivery.raw + JSON.stringify(delivery.headers);
  for (const personal of [
    customer.first_name,
    customer.last_name,
    customer.email,
    customer.phone,
    customer.phone.slice(1),
  ]) {
    expect(seen).not.toContain(personal);
  }
}

/**
 * The app of one describe, its status webhooks pointed at a receiver of its own that verifies
 * with `secret` (the hooks are registered here: call it in the describe's body).
 */
function webhookApp(kind: DatabaseKind, env: Record<string, string>, options: { basicAuth?: string } = {}) {
  const secret = aSecret();
  const receiver = new WebhookReceiver(secret);
  let f: SupplierFixture;
  beforeAll(async () => {
    await receiver.start();
    forgetEnv();
    // With `basicAuth` (user:password), the URL carries credentials, as for a receiver behind HTTP basic auth.
    const url = options.basicAuth
      ? receiver.url.replace('http://', `http://${options.basicAuth}@`)
      : receiver.url;
    f = await startSupplierFixture(kind, {
      STATUS_WEBHOOK_URL: url,
      STATUS_WEBHOOK_SECRET: secret,
      ...env,
    });
  });
  afterAll(async () => {
    await f?.close();
    await receiver.stop();
    forgetEnv();
  });
  return {
    secret,
    receiver,
    fixture: () => f,
    d: driver(
      () => f,
      () => receiver,
    ),
  };
}

describe.each(DATABASE_KINDS)('status webhooks on %s', (kind: DatabaseKind) => {
  describe('a receiver of the merchant, signed deliveries, retries, refusals', () => {
    const { secret, receiver, d, fixture } = webhookApp(
      kind,
      {
        STATUS_WEBHOOK_TIMEOUT_MS: '5000',
        OUTBOX_BACKOFF_BASE_MS: '50',
        OUTBOX_BACKOFF_MAX_MS: '200',
        OUTBOX_POLL_INTERVAL_MS: '50',
      },
      { basicAuth: 'merchant:b4sic-pa55' },
    );

    it('delivers every change of paid reservations, verified, each id accepted once after its retry, in order per reservation', async () => {
      receiver.reset();
      receiver.script(rules.failFirstOfEachId(500));
      // Three reservations whose changes interleave in the outbox: all created, then all paid.
      const reserved = [];
      for (const n of [1, 2, 3]) reserved.push({ n, ...(await d.reserve(n)) });
      await Promise.all(reserved.map(({ intent }) => d.pay(intent)));
      for (const { code } of reserved) await d.waitFor(`the webhooks of ${code}`, () => d.allDelivered(code));

      const changes = await Promise.all(reserved.map(({ code }) => d.changesOf(code)));
      // The lifecycle of a paid, booked reservation, and the changes of the three interleave.
      for (const list of changes) {
        expect(list.map((change) => change.to)).toEqual(
          expect.arrayContaining([
            ReservationStatus.CREATED,
            ReservationStatus.PAID,
            ReservationStatus.SUPPLIER_CONFIRMED,
          ]),
        );
        expect(list.at(-1)!.to).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
      }
      const [first, second] = changes;
      expect(first.at(-1)!.historyId).toBeGreaterThan(second[0].historyId);

      for (const [index, { n, code }] of reserved.entries()) {
        const list = changes[index];
        const deliveries = receiver.of(code);
        // Verified by the standardwebhooks package, every one.
        expect(deliveries.filter((delivery) => !delivery.verified)).toEqual([]);
        // Each id: refused once (500), then accepted once, with the same id and the same signed body.
        for (const change of list) {
          const ofId = deliveries.filter((delivery) => delivery.id === change.id);
          expect(ofId.map((delivery) => delivery.answer)).toEqual([500, 200]);
          expect(ofId[1].raw).toBe(ofId[0].raw);
          expect(ofId[1].headers['webhook-id']).toBe(ofId[0].headers['webhook-id']);
          expectBodyOf(ofId[1], change, code, customerOf(n));
        }
        expect(new Set(deliveries.map((delivery) => delivery.id))).toEqual(
          new Set(list.map((change) => change.id)),
        );
        // In order: nothing tried before every earlier change was accepted.
        expectInOrder(deliveries, list);
        // The last delivery says what the customer's lookup says now.
        const { body } = await request(fixture().base)
          .get(`/api/v1/reservations/${code}`)
          .query({ email: customerOf(n).email })
          .expect(200);
        expect(
          receiver.accepted((delivery) => delivery.body?.data.reservation_code === code).at(-1)!.body!.data,
        ).toMatchObject({
          status: body.status,
          progress: body.progress,
        });
        // Standard Webhooks headers: a seconds timestamp, a v1 signature.
        for (const delivery of deliveries) {
          expect(delivery.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
          expect(delivery.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
          expect(delivery.headers['content-type']).toMatch(/^application\/json/);
          // The URL's credentials arrive as basic authentication.
          expect(delivery.headers.authorization).toBe(
            `Basic ${Buffer.from('merchant:b4sic-pa55').toString('base64')}`,
          );
        }
      }
    });

    it('a 4xx makes the event DEAD after one delivery and holds back the later changes of that reservation only, until an operator requeues it', async () => {
      receiver.reset();
      // The merchant refuses the PAID webhook of the first reservation (410 Gone): for good.
      let refusedCode = '';
      receiver.script(
        rules.refuse(
          (delivery) =>
            delivery.body?.data.reservation_code === refusedCode && delivery.body.data.status === 'PAID',
          410,
        ),
      );
      const held = await d.reserve(4);
      refusedCode = held.code;
      await d.pay(held.intent);

      // Its PAID event DEAD, its SUPPLIER_CONFIRMED queued behind it.
      await d.waitFor(`the refusal of ${held.code}`, async () => {
        if ((await d.reservation(held.code)).status !== ReservationStatus.SUPPLIER_CONFIRMED) return false;
        const events = await d.webhookEvents(held.code);
        return (
          events.length === (await d.changesOf(held.code)).length &&
          events.some((event) => event.status === OutboxStatus.DEAD)
        );
      });
      const changes = await d.changesOf(held.code);
      const paidAt = changes.findIndex((change) => change.to === ReservationStatus.PAID);
      const paid = changes[paidAt];
      const later = changes.slice(paidAt + 1);
      expect(later.map((change) => change.to)).toContain(ReservationStatus.SUPPLIER_CONFIRMED);
      const events = await d.webhookEvents(held.code);
      const dead = events[paidAt];
      expect(dead).toMatchObject({ status: OutboxStatus.DEAD, attempts: 1 });
      expect(dead.lastError).toMatch(/answered 410/);
      expect(JSON.parse(dead.payload)).toMatchObject({ id: paid.id });

      // Another reservation, changed after all that, is delivered meanwhile: the lane flows.
      const other = await d.reserve(5);
      await d.pay(other.intent);
      await d.waitFor(`the webhooks of ${other.code}`, () => d.allDelivered(other.code));
      expect(
        receiver
          .accepted((delivery) => delivery.body?.data.reservation_code === other.code)
          .map((delivery) => delivery.id),
      ).toEqual((await d.changesOf(other.code)).map((change) => change.id));

      // The refused one was delivered once, never retried; the later ones never went out.
      expect(
        receiver.deliveries.filter((delivery) => delivery.id === paid.id).map((delivery) => delivery.answer),
      ).toEqual([410]);
      for (const change of later)
        expect(receiver.deliveries.filter((delivery) => delivery.id === change.id)).toEqual([]);
      for (const event of (await d.webhookEvents(held.code)).slice(paidAt + 1)) {
        expect(event).toMatchObject({ status: OutboxStatus.PENDING, attempts: 0 });
      }
      expect(await d.outbox().findOneByOrFail({ id: dead.id })).toMatchObject({
        status: OutboxStatus.DEAD,
        attempts: 1,
      });

      // The merchant fixed its endpoint; the operator requeues the DEAD event.
      receiver.script();
      await fixture().admin('post', `/outbox/${dead.id}/requeue`).expect(200);
      await d.waitFor(`the webhooks of ${held.code} after the requeue`, () => d.allDelivered(held.code));
      const deliveries = receiver.of(held.code);
      expect(
        deliveries.filter((delivery) => delivery.id === paid.id).map((delivery) => delivery.answer),
      ).toEqual([410, 200]);
      expect(deliveries.filter((delivery) => !delivery.verified)).toEqual([]);
      expectInOrder(deliveries, changes);
      for (const change of later)
        expect(
          deliveries.filter((delivery) => delivery.id === change.id).map((delivery) => delivery.answer),
        ).toEqual([200]);
      // The held ones went out after the refused one, once it was accepted.
      const accepted = receiver
        .accepted((delivery) => delivery.body?.data.reservation_code === held.code)
        .map((delivery) => delivery.id);
      expect(accepted).toEqual(changes.map((change) => change.id));
    });

    it('a receiver with the wrong secret fails to verify the delivery: the signature is real', async () => {
      receiver.reset();
      receiver.useSecret(aSecret());
      try {
        const { code } = await d.reserve(6);
        // A receiver that cannot verify answers 401: refused for good, the event DEAD after one delivery.
        await d.waitFor(
          `the first webhook of ${code}`,
          async () => (await d.webhookEvents(code))[0]?.status === OutboxStatus.DEAD,
        );
        const [event] = await d.webhookEvents(code);
        expect(event).toMatchObject({ status: OutboxStatus.DEAD, attempts: 1 });
        expect(event.lastError).toMatch(/answered 401/);
        const [delivery] = receiver.of(code);
        expect(delivery).toMatchObject({ verified: false, answer: 401 });
        expect(delivery.verifyError).toMatch(/signature/i);
        // The same delivery verifies with the right secret, and not once its body is changed.
        expect(new Webhook(secret).verify(delivery.raw, delivery.headers)).toEqual(JSON.parse(delivery.raw));
        const tampered = delivery.raw.replace(code, 'ZZZZZZZZ');
        expect(tampered).not.toBe(delivery.raw);
        expect(() => new Webhook(secret).verify(tampered, delivery.headers)).toThrow(/signature/i);
      } finally {
        receiver.useSecret(secret);
      }
    });
  });

  describe('a receiver that answers 429, 5xx, or not at all', () => {
    const { receiver, d } = webhookApp(kind, {
      // A hang ends here; the other answers come at once.
      STATUS_WEBHOOK_TIMEOUT_MS: '2000',
      OUTBOX_BACKOFF_BASE_MS: '50',
      // High enough that a Retry-After of 30 s is honoured whole.
      OUTBOX_BACKOFF_MAX_MS: '60000',
      OUTBOX_POLL_INTERVAL_MS: '50',
    });

    it('retries a 429 after its Retry-After, a 503, and a receiver that hangs past STATUS_WEBHOOK_TIMEOUT_MS, until each is accepted', async () => {
      receiver.reset();
      // The only reservation of this app: its first change may arrive before its code is known here.
      const is = (status: string) => (delivery: Pick<WebhookDelivery, 'body'>) =>
        delivery.body?.data.status === status;
      receiver.script(
        rules.tooManyRequests(is('CREATED'), '30', 1),
        rules.failFirst(is('PAID'), 503, 2),
        rules.hang(is('SUPPLIER_CONFIRMED'), 1),
      );
      const reserved = await d.reserve(7);
      const code = reserved.code;

      // The 429: the event waits exactly the Retry-After (the two times come from one clock reading).
      await d.waitFor(
        `the 429 of ${code}`,
        async () => (await d.webhookEvents(code))[0]?.lastError?.includes('429') ?? false,
      );
      const [throttled] = await d.webhookEvents(code);
      expect(throttled).toMatchObject({ status: OutboxStatus.PENDING, attempts: 1 });
      expect(throttled.lastError).toMatch(/answered 429; Retry-After honoured/);
      expect(throttled.nextAttemptAt!.getTime() - throttled.updatedAt.getTime()).toBe(30_000);
      // The test does not sit the 30 s out: due now, as if they had passed.
      await d.dueNow();

      await d.pay(reserved.intent);
      await d.waitFor(`the webhooks of ${code}`, () => d.allDelivered(code));
      const changes = await d.changesOf(code);
      const deliveries = receiver.of(code);
      const answersOf = (status: ReservationStatus) =>
        deliveries
          .filter((delivery) => delivery.id === changes.find((change) => change.to === status)!.id)
          .map((delivery) => delivery.answer);
      expect(answersOf(ReservationStatus.CREATED)).toEqual([429, 200]);
      expect(answersOf(ReservationStatus.PAID)).toEqual([503, 503, 200]);
      // The hung delivery was given up (it never answered) and tried again, not left stuck.
      expect(answersOf(ReservationStatus.SUPPLIER_CONFIRMED)).toEqual(['hung', 200]);
      expect(deliveries.filter((delivery) => !delivery.verified)).toEqual([]);
      expectInOrder(deliveries, changes);
      const events = await d.webhookEvents(code);
      expect(events.map((event) => event.status)).toEqual(changes.map(() => OutboxStatus.DONE));
      const confirmed =
        events[changes.findIndex((change) => change.to === ReservationStatus.SUPPLIER_CONFIRMED)];
      expect(confirmed.attempts).toBe(2);
    });
  });

  describe('a receiver that answers 429 with Retry-After: 0', () => {
    const { receiver, d } = webhookApp(kind, {
      // A first backoff step far longer than the test: what the row is told to wait shows it.
      OUTBOX_BACKOFF_BASE_MS: '600000',
      OUTBOX_BACKOFF_MAX_MS: '600000',
    });

    it('waits at least the backoff of the attempt, so that throttling cannot use the attempts up in moments', async () => {
      receiver.reset();
      receiver.script(rules.tooManyRequests((delivery) => delivery.body?.data.status === 'CREATED', '0', 1));
      const { code } = await d.reserve(3);
      await d.waitFor(
        `the 429 of ${code}`,
        async () => (await d.webhookEvents(code))[0]?.lastError?.includes('429') ?? false,
      );
      const [throttled] = await d.webhookEvents(code);
      expect(throttled).toMatchObject({ status: OutboxStatus.PENDING, attempts: 1 });
      // Not at once (Retry-After: 0), but after the first step of the backoff.
      expect(throttled.nextAttemptAt!.getTime() - throttled.updatedAt.getTime()).toBe(600_000);
      expect(receiver.of(code)).toHaveLength(1);
    });
  });

  describe('without STATUS_WEBHOOK_URL', () => {
    let f: SupplierFixture;

    beforeAll(async () => {
      forgetEnv();
      f = await startSupplierFixture(kind, {
        OUTBOX_BACKOFF_BASE_MS: '50',
        OUTBOX_BACKOFF_MAX_MS: '200',
        OUTBOX_POLL_INTERVAL_MS: '50',
      });
    });
    afterAll(async () => {
      await f?.close();
      forgetEnv();
    });

    it('queues no SEND_STATUS_WEBHOOK for any change', async () => {
      const code = await f.reserveAndPay('HERTZ');
      await f.settle();
      const reservation = await f.reservation(code);
      expect(reservation.status).toBe(ReservationStatus.SUPPLIER_CONFIRMED);
      const history = await f.t.dataSource
        .getRepository(ReservationStatusHistory)
        .countBy({ reservationId: reservation.id });
      expect(history).toBeGreaterThanOrEqual(3);
      // The outbox is at work (the booking went through it), and holds no webhook.
      expect(await f.outboxCount('BOOK_WITH_SUPPLIER', code)).toBe(1);
      expect(await f.t.dataSource.getRepository(OutboxEvent).countBy({ type: SEND_STATUS_WEBHOOK })).toBe(0);
    });
  });
});
