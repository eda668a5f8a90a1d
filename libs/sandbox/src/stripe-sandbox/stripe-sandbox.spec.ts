import Stripe from 'stripe';
import { SandboxHarness, SPEC_WEBHOOK_SECRET } from './sandbox.harness';

/** The sandbox as the official SDK sees it, over real HTTP. */
describe('Stripe sandbox', () => {
  const harness = SandboxHarness.use();
  const { sandbox, received, client } = harness;

  const create = (key = 'idem-1', amount = 18950) =>
    harness.stripe.paymentIntents.create(
      {
        amount,
        currency: 'EUR',
        metadata: { reservation_code: 'K7M2Q9XD' },
        automatic_payment_methods: { enabled: true },
      },
      { idempotencyKey: key },
    );

  it('creates and retrieves PaymentIntents shaped as Stripe shapes them', async () => {
    const intent = await create();
    expect(intent).toMatchObject({
      object: 'payment_intent',
      amount: 18950,
      currency: 'eur',
      status: 'requires_payment_method',
    });
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_`));
    expect((await harness.stripe.paymentIntents.retrieve(intent.id)).metadata).toEqual({
      reservation_code: 'K7M2Q9XD',
    });
  });

  it('honours Idempotency-Key: same parameters replay, other parameters are refused', async () => {
    const first = await create('idem-2');
    expect((await create('idem-2')).id).toBe(first.id);
    expect(sandbox.paymentIntents()).toHaveLength(1);
    await expect(create('idem-2', 100)).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('answers errors as Stripe does: 404 resource_missing, 401 without a key, 400 on bad parameters', async () => {
    await expect(harness.stripe.paymentIntents.retrieve('pi_nope')).rejects.toMatchObject({
      code: 'resource_missing',
      statusCode: 404,
    });
    await expect(client('pk_wrong').paymentIntents.retrieve('pi_nope')).rejects.toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
    await expect(create('idem-3', 0)).rejects.toMatchObject({ param: 'amount', statusCode: 400 });
  });

  it('cancels, and refuses to cancel a succeeded or processing intent with payment_intent_unexpected_state', async () => {
    const open = await create('idem-4');
    expect((await harness.stripe.paymentIntents.cancel(open.id)).status).toBe('canceled');
    const paid = await create('idem-5');
    await sandbox.succeed(paid.id, { deliver: false });
    await expect(harness.stripe.paymentIntents.cancel(paid.id)).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });

    // A processing payment cannot be cancelled; once it fails back to requires_payment_method it can.
    const debit = await create('idem-11');
    await sandbox.process(debit.id, { deliver: false });
    await expect(harness.stripe.paymentIntents.cancel(debit.id)).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
    await sandbox.fail(debit.id, { deliver: false });
    expect((await harness.stripe.paymentIntents.cancel(debit.id)).status).toBe('canceled');
    expect(sandbox.retrievals(debit.id)).toBe(0);
    await harness.stripe.paymentIntents.retrieve(debit.id);
    expect(sandbox.retrievals(debit.id)).toBe(1);
  });

  it('delivers webhooks signed as Stripe signs them, unless told not to', async () => {
    const intent = await create('idem-6');
    const result = await sandbox.succeed(intent.id);
    expect(result.delivery).toEqual({ status_code: 200 });
    const [delivery] = received;
    const event = harness.stripe.webhooks.constructEvent(
      delivery.body,
      delivery.signature,
      SPEC_WEBHOOK_SECRET,
      300,
    );
    expect(event).toMatchObject({
      type: 'payment_intent.succeeded',
      data: { object: { id: intent.id, status: 'succeeded' } },
    });
    expect(() =>
      harness.stripe.webhooks.constructEvent(delivery.body, delivery.signature, 'whsec_other', 300),
    ).toThrow();

    const other = await create('idem-7');
    await sandbox.fail(other.id, { deliver: false });
    expect(received).toHaveLength(1);
    expect(sandbox.events().at(-1)!.type).toBe('payment_intent.payment_failed');
  });

  it('injects faults: an error changes nothing; commit-then-timeout keeps what a retry then finds', async () => {
    sandbox.injectFault({ operation: 'create_payment_intent', mode: 'error', count: 1 });
    await expect(create('idem-8')).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(sandbox.paymentIntents()).toHaveLength(0);

    sandbox.injectFault({
      operation: 'create_payment_intent',
      mode: 'commit_then_timeout',
      count: 1,
      delay_ms: 2000,
    });
    const impatient = client('sk_test_spec', 300);
    await expect(
      impatient.paymentIntents.create({ amount: 500, currency: 'eur' }, { idempotencyKey: 'idem-9' }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(sandbox.paymentIntents()).toHaveLength(1);
    const retried = await harness.stripe.paymentIntents.create(
      { amount: 500, currency: 'eur' },
      { idempotencyKey: 'idem-9' },
    );
    expect(retried.id).toBe(sandbox.paymentIntents()[0].id);
    expect(sandbox.calls('create_payment_intent')).toBe(3);
  });

  it('refunds a succeeded intent, never more than was captured, idempotently', async () => {
    const intent = await create('idem-10', 10_000);
    await expect(harness.stripe.refunds.create({ payment_intent: intent.id })).rejects.toMatchObject({
      code: 'charge_not_refundable',
    });
    await sandbox.succeed(intent.id, { deliver: false });

    const partial = await harness.stripe.refunds.create(
      { payment_intent: intent.id, amount: 4000 },
      { idempotencyKey: 'refund-1' },
    );
    expect(partial).toMatchObject({
      object: 'refund',
      amount: 4000,
      currency: 'eur',
      status: 'succeeded',
      payment_intent: intent.id,
    });
    expect(
      (
        await harness.stripe.refunds.create(
          { payment_intent: intent.id, amount: 4000 },
          { idempotencyKey: 'refund-1' },
        )
      ).id,
    ).toBe(partial.id);
    await expect(
      harness.stripe.refunds.create({ payment_intent: intent.id, amount: 7000 }),
    ).rejects.toMatchObject({ code: 'amount_too_large' });
    expect((await harness.stripe.refunds.create({ payment_intent: intent.id })).amount).toBe(6000);
    await expect(
      harness.stripe.refunds.create({ payment_intent: intent.id, amount: 1 }),
    ).rejects.toMatchObject({ code: 'charge_already_refunded' });
    expect(sandbox.refundedAmount(intent.id)).toBe(10_000);
    expect(sandbox.refunds()).toHaveLength(2);
  });
});
