import Stripe from 'stripe';
import { SandboxHarness } from './sandbox.harness';

const WEEK = 7 * 24 * 60 * 60;
const now = () => Math.floor(Date.now() / 1000);

/** Authorize, then capture (or cancel, or let the hold expire), through the official SDK over HTTP. */
describe('Stripe sandbox: manual capture', () => {
  const harness = SandboxHarness.use();
  const { sandbox, received } = harness;

  const createManual = (key: string, amount = 18950) =>
    harness.stripe.paymentIntents.create(
      { amount, currency: 'EUR', capture_method: 'manual', metadata: { reservation_code: 'K7M2Q9XD' } },
      { idempotencyKey: key },
    );

  /** A manual intent the customer has paid: the amount is held, no webhook delivered. */
  const held = async (key: string, amount = 18950, capture_before?: number) => {
    const intent = await createManual(key, amount);
    await sandbox.succeed(intent.id, { deliver: false, capture_before });
    return intent;
  };

  const succeededEvents = (intentId: string) =>
    sandbox
      .events()
      .filter((event) => event.type === 'payment_intent.succeeded' && event.data.object.id === intentId);

  it('creates manual intents, automatic by default, and refuses another capture_method', async () => {
    const manual = await createManual('create-1');
    expect(manual).toMatchObject({
      capture_method: 'manual',
      amount_capturable: 0,
      amount_received: 0,
      latest_charge: null,
    });
    const automatic = await harness.stripe.paymentIntents.create({ amount: 500, currency: 'eur' });
    expect(automatic).toMatchObject({ capture_method: 'automatic', amount_capturable: 0 });
    await expect(
      harness.stripe.paymentIntents.create({
        amount: 500,
        currency: 'eur',
        capture_method: 'automatic_async',
      }),
    ).rejects.toMatchObject({ type: 'StripeInvalidRequestError', param: 'capture_method', statusCode: 400 });
  });

  it('holds a paid manual intent: requires_capture, an uncaptured charge, amount_capturable_updated then charge.succeeded', async () => {
    const intent = await createManual('hold-1');
    const paid = await sandbox.succeed(intent.id);

    expect(paid.payment_intent).toMatchObject({
      status: 'requires_capture',
      amount_capturable: 18950,
      amount_received: 0,
    });
    const chargeId = paid.payment_intent.latest_charge!;
    expect(chargeId).toMatch(/^ch_/);
    expect(paid.delivery).toEqual({ status_code: 200 });
    const [updated, charged] = await harness.deliveries();
    expect(received).toHaveLength(2);
    expect(updated).toMatchObject({
      type: 'payment_intent.amount_capturable_updated',
      data: {
        object: {
          id: intent.id,
          status: 'requires_capture',
          amount_capturable: 18950,
          latest_charge: chargeId,
        },
      },
    });
    expect(charged.type).toBe('charge.succeeded');
    const charge = charged.data.object as Stripe.Charge;
    expect(charge).toMatchObject({
      id: chargeId,
      object: 'charge',
      amount: 18950,
      amount_captured: 0,
      amount_refunded: 0,
      captured: false,
      refunded: false,
      paid: true,
      status: 'succeeded',
      currency: 'eur',
      payment_intent: intent.id,
      metadata: { reservation_code: 'K7M2Q9XD' },
    });
    const captureBefore = charge.payment_method_details!.card!.capture_before!;
    expect(Math.abs(captureBefore - (now() + WEEK))).toBeLessThanOrEqual(5);
  });

  it('shows the charge: expand[]=latest_charge and GET /v1/charges/{id}', async () => {
    const intent = await held('expand-1');
    const plain = await harness.stripe.paymentIntents.retrieve(intent.id);
    expect(typeof plain.latest_charge).toBe('string');
    const expanded = await harness.stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge'] });
    const charge = expanded.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({
      id: plain.latest_charge,
      object: 'charge',
      captured: false,
      payment_intent: intent.id,
    });
    expect(await harness.stripe.charges.retrieve(charge.id)).toMatchObject({
      id: charge.id,
      amount: 18950,
      captured: false,
    });
    await expect(harness.stripe.charges.retrieve('ch_nope')).rejects.toMatchObject({
      code: 'resource_missing',
      statusCode: 404,
    });
    await expect(
      harness.stripe.paymentIntents.retrieve(intent.id, { expand: ['customer'] }),
    ).rejects.toMatchObject({
      param: 'expand',
      statusCode: 400,
    });
  });

  it('captures once: succeeded then charge.captured; the same key replays it, another key is refused', async () => {
    const intent = await held('capture-1');

    const captured = await harness.stripe.paymentIntents.capture(intent.id, {}, { idempotencyKey: 'cap-1' });
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 18950, amount_capturable: 0 });
    const delivered = await harness.deliveries();
    expect(delivered.map((event) => event.type)).toEqual(['payment_intent.succeeded', 'charge.captured']);
    const [succeeded, chargeCaptured] = delivered;
    expect(succeeded).toMatchObject({
      type: 'payment_intent.succeeded',
      data: { object: { id: intent.id, amount_received: 18950 } },
    });
    expect(chargeCaptured).toMatchObject({
      type: 'charge.captured',
      data: {
        object: {
          id: captured.latest_charge,
          captured: true,
          amount_captured: 18950,
          payment_intent: intent.id,
        },
      },
    });

    const replay = await harness.stripe.paymentIntents.capture(intent.id, {}, { idempotencyKey: 'cap-1' });
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(replay).toEqual(captured);
    expect(succeededEvents(intent.id)).toHaveLength(1);

    const again = harness.stripe.paymentIntents.capture(intent.id, {}, { idempotencyKey: 'cap-2' });
    await expect(again).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'payment_intent_unexpected_state',
      statusCode: 400,
      payment_intent: { id: intent.id, status: 'succeeded' },
    });
    await expect(again).rejects.toThrow(/status of succeeded/);
    expect(succeededEvents(intent.id)).toHaveLength(1);
    expect(sandbox.calls('capture_payment_intent')).toBe(3);
  });

  it('captures part of a hold, never more than capturable, and refunds only what was captured', async () => {
    const intent = await held('partial-1', 18950);
    await expect(harness.stripe.refunds.create({ payment_intent: intent.id })).rejects.toMatchObject({
      code: 'charge_not_captured',
      statusCode: 400,
    });
    await expect(
      harness.stripe.paymentIntents.capture(intent.id, { amount_to_capture: 20000 }),
    ).rejects.toMatchObject({
      code: 'amount_too_large',
      param: 'amount_to_capture',
    });
    expect(sandbox.paymentIntent(intent.id)!.status).toBe('requires_capture');

    const captured = await harness.stripe.paymentIntents.capture(intent.id, { amount_to_capture: 12000 });
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 12000, amount_capturable: 0 });
    expect(sandbox.charge(captured.latest_charge as string)).toMatchObject({
      captured: true,
      amount_captured: 12000,
    });
    await expect(
      harness.stripe.refunds.create({ payment_intent: intent.id, amount: 12001 }),
    ).rejects.toMatchObject({
      code: 'amount_too_large',
    });
    expect((await harness.stripe.refunds.create({ payment_intent: intent.id })).amount).toBe(12000);
    expect(sandbox.charge(captured.latest_charge as string)).toMatchObject({
      amount_refunded: 12000,
      refunded: true,
    });
  });

  it('faults on capture: an error changes nothing; after commit-then-timeout the retry finds it captured', async () => {
    const intent = await held('fault-1');
    sandbox.injectFault({ operation: 'capture_payment_intent', mode: 'error', count: 1 });
    await expect(
      harness.stripe.paymentIntents.capture(intent.id, {}, { idempotencyKey: 'cap-3' }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(sandbox.paymentIntent(intent.id)!.status).toBe('requires_capture');

    sandbox.injectFault({
      operation: 'capture_payment_intent',
      mode: 'commit_then_timeout',
      count: 1,
      delay_ms: 2000,
    });
    const impatient = harness.client('sk_test_spec', 300);
    await expect(
      impatient.paymentIntents.capture(intent.id, {}, { idempotencyKey: 'cap-4' }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(sandbox.paymentIntent(intent.id)).toMatchObject({ status: 'succeeded', amount_received: 18950 });

    const retried = await harness.stripe.paymentIntents.capture(intent.id, {}, { idempotencyKey: 'cap-4' });
    expect(retried).toMatchObject({ id: intent.id, status: 'succeeded', amount_received: 18950 });
    expect(retried.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(succeededEvents(intent.id)).toHaveLength(1);
    expect(sandbox.calls('capture_payment_intent')).toBe(3);
    // Each request with its key and what became of it: a test can tell a replay from a second capture.
    const path = `/v1/payment_intents/${intent.id}/capture`;
    expect(sandbox.requests('capture_payment_intent')).toEqual([
      { operation: 'capture_payment_intent', path, idempotency_key: 'cap-3', outcome: 'faulted' },
      { operation: 'capture_payment_intent', path, idempotency_key: 'cap-4', outcome: 'performed' },
      { operation: 'capture_payment_intent', path, idempotency_key: 'cap-4', outcome: 'replayed' },
    ]);
    // A second capture under another key is refused, as Stripe refuses it.
    await expect(harness.stripe.paymentIntents.capture(intent.id, {}, { idempotencyKey: 'cap-5' })).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
    expect(sandbox.requests('capture_payment_intent').at(-1)).toMatchObject({ idempotency_key: 'cap-5', outcome: 'performed' });
  });

  it('refuses a key reused with other parameters (idempotency_error), and replays it with the same ones', async () => {
    const params = { amount: 18950, currency: 'eur', metadata: { reservation_code: 'K7M2Q9XD' } };
    const first = await harness.stripe.paymentIntents.create(params, { idempotencyKey: 'create-same' });
    await expect(
      harness.stripe.paymentIntents.create({ ...params, capture_method: 'automatic' }, { idempotencyKey: 'create-same' }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    await expect(
      harness.stripe.paymentIntents.create({ ...params, capture_method: 'manual' }, { idempotencyKey: 'create-same' }),
    ).rejects.toMatchObject({ type: 'StripeIdempotencyError', statusCode: 400, message: expect.stringMatching(/same parameters/) });
    const again = await harness.stripe.paymentIntents.create(params, { idempotencyKey: 'create-same' });
    expect(again.id).toBe(first.id);
    expect(sandbox.paymentIntents()).toHaveLength(1);
    expect(sandbox.requests('create_payment_intent').map((entry) => entry.outcome)).toEqual(['performed', 'refused', 'refused', 'replayed']);
  });

  it('cancels a held intent, which releases it: canceled, requested_by_customer unless told, payment_intent.canceled', async () => {
    const intent = await held('cancel-1');
    const canceled = await harness.stripe.paymentIntents.cancel(
      intent.id,
      {},
      { idempotencyKey: 'cancel-1-release' },
    );
    expect(canceled).toMatchObject({
      status: 'canceled',
      cancellation_reason: 'requested_by_customer',
      amount_capturable: 0,
    });
    const [event, ...others] = await harness.deliveries();
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      type: 'payment_intent.canceled',
      data: { object: { id: intent.id, status: 'canceled' } },
    });
    await expect(harness.stripe.paymentIntents.capture(intent.id)).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });

    const abandoned = await held('cancel-2');
    const reasoned = await harness.stripe.paymentIntents.cancel(abandoned.id, {
      cancellation_reason: 'abandoned',
    });
    expect(reasoned.cancellation_reason).toBe('abandoned');

    const captured = await held('cancel-3');
    await harness.stripe.paymentIntents.capture(captured.id);
    await expect(harness.stripe.paymentIntents.cancel(captured.id)).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
  });

  it('expires a hold nobody captured (POST /sandbox/.../expire_authorization): canceled as automatic', async () => {
    const intent = await held('expire-1');
    const expired = await harness.post(`/sandbox/payment_intents/${intent.id}/expire_authorization`);
    expect(expired.status).toBe(200);
    expect(expired.body).toMatchObject({
      payment_intent: { status: 'canceled', cancellation_reason: 'automatic', amount_capturable: 0 },
      event: { type: 'payment_intent.canceled' },
      delivery: { status_code: 200 },
    });
    const [event, ...others] = await harness.deliveries();
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      type: 'payment_intent.canceled',
      data: { object: { cancellation_reason: 'automatic' } },
    });
    await expect(harness.stripe.paymentIntents.capture(intent.id)).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
    expect((await harness.post(`/sandbox/payment_intents/${intent.id}/expire_authorization`)).status).toBe(
      400,
    );

    const other = await held('expire-2');
    const direct = await sandbox.expireAuthorization(other.id, { deliver: false });
    expect(direct).toMatchObject({
      payment_intent: { status: 'canceled', cancellation_reason: 'automatic' },
      delivery: null,
    });
    expect(received).toHaveLength(1);
  });

  it('refuses a capture once capture_before has passed, saying the status; captures before it', async () => {
    const intent = await createManual('deadline-1');
    const deadline = now() - 60;
    const paid = await harness.post(
      `/sandbox/payment_intents/${intent.id}/succeed?deliver=false`,
      { capture_before: deadline },
      'form',
    );
    expect(paid.body).toMatchObject({ payment_intent: { status: 'requires_capture' }, delivery: null });
    const chargeId = sandbox.paymentIntent(intent.id)!.latest_charge!;
    expect(sandbox.charge(chargeId)!.payment_method_details.card.capture_before).toBe(deadline);

    const late = harness.stripe.paymentIntents.capture(intent.id, {}, { idempotencyKey: 'cap-late' });
    await expect(late).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
      statusCode: 400,
      payment_intent: { id: intent.id, status: 'requires_capture' },
    });
    await expect(late).rejects.toThrow(/status of requires_capture/);
    expect(sandbox.charge(chargeId)).toMatchObject({ captured: false, amount_captured: 0 });

    const soon = await held('deadline-2', 18950, now() + 60);
    expect((await harness.stripe.paymentIntents.capture(soon.id)).status).toBe('succeeded');
  });

  it('gives an automatic payment a captured charge, and still only payment_intent.succeeded', async () => {
    const intent = await harness.stripe.paymentIntents.create({ amount: 7000, currency: 'eur' });
    const paid = await sandbox.succeed(intent.id);
    expect(paid.events.map((event) => event.type)).toEqual(['payment_intent.succeeded']);
    expect(paid.payment_intent).toMatchObject({
      status: 'succeeded',
      amount_received: 7000,
      amount_capturable: 0,
    });
    const [event] = await harness.deliveries();
    expect(received).toHaveLength(1);
    expect((event.data.object as Stripe.PaymentIntent).latest_charge).toBe(paid.payment_intent.latest_charge);
    expect(sandbox.charge(paid.payment_intent.latest_charge!)).toMatchObject({
      captured: true,
      amount_captured: 7000,
      payment_method_details: { type: 'card', card: {} },
    });
    await expect(harness.stripe.paymentIntents.capture(intent.id)).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
  });
});
