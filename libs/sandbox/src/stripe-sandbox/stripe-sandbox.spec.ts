import { createServer, Server } from 'node:http';
import Stripe from 'stripe';
import { SANDBOX_API_VERSION } from './stripe-objects';
import { StripeSandbox } from './stripe-sandbox';

const SECRET = 'whsec_sandbox_spec';

/** The sandbox as the official SDK sees it, over real HTTP. */
describe('Stripe sandbox', () => {
  const sandbox = new StripeSandbox({ webhookSecret: SECRET });
  let stripe: Stripe;
  let receiver: Server;
  const received: { body: string; signature: string }[] = [];

  const client = (key = 'sk_test_spec', timeout?: number) =>
    new Stripe(key, {
      host: '127.0.0.1',
      port: port,
      protocol: 'http',
      apiVersion: SANDBOX_API_VERSION as Stripe.LatestApiVersion,
      maxNetworkRetries: 0,
      telemetry: false,
      ...(timeout ? { timeout } : {}),
    });
  let port = 0;

  beforeAll(async () => {
    ({ port } = await sandbox.start());
    stripe = client();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ body, signature: String(req.headers['stripe-signature']) });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    sandbox.setWebhookUrl(`http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`);
  });
  afterAll(async () => {
    await sandbox.stop();
    await new Promise((resolve) => receiver.close(resolve));
  });
  beforeEach(() => {
    sandbox.reset();
    received.length = 0;
  });

  const create = (key = 'idem-1', amount = 18950) =>
    stripe.paymentIntents.create(
      { amount, currency: 'EUR', metadata: { reservation_code: 'K7M2Q9XD' }, automatic_payment_methods: { enabled: true } },
      { idempotencyKey: key },
    );

  it('creates and retrieves PaymentIntents shaped as Stripe shapes them', async () => {
    const intent = await create();
    expect(intent).toMatchObject({ object: 'payment_intent', amount: 18950, currency: 'eur', status: 'requires_payment_method' });
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_`));
    expect((await stripe.paymentIntents.retrieve(intent.id)).metadata).toEqual({ reservation_code: 'K7M2Q9XD' });
  });

  it('honours Idempotency-Key: same parameters replay, other parameters are refused', async () => {
    const first = await create('idem-2');
    expect((await create('idem-2')).id).toBe(first.id);
    expect(sandbox.paymentIntents()).toHaveLength(1);
    await expect(create('idem-2', 100)).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('answers errors as Stripe does: 404 resource_missing, 401 without a key, 400 on bad parameters', async () => {
    await expect(stripe.paymentIntents.retrieve('pi_nope')).rejects.toMatchObject({ code: 'resource_missing', statusCode: 404 });
    await expect(client('pk_wrong').paymentIntents.retrieve('pi_nope')).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    await expect(create('idem-3', 0)).rejects.toMatchObject({ param: 'amount', statusCode: 400 });
  });

  it('cancels, and refuses to cancel a succeeded or processing intent with payment_intent_unexpected_state', async () => {
    const open = await create('idem-4');
    expect((await stripe.paymentIntents.cancel(open.id)).status).toBe('canceled');
    const paid = await create('idem-5');
    await sandbox.succeed(paid.id, { deliver: false });
    await expect(stripe.paymentIntents.cancel(paid.id)).rejects.toMatchObject({ code: 'payment_intent_unexpected_state' });

    // A processing payment cannot be cancelled; once it fails back to requires_payment_method it can.
    const debit = await create('idem-11');
    await sandbox.process(debit.id, { deliver: false });
    await expect(stripe.paymentIntents.cancel(debit.id)).rejects.toMatchObject({ code: 'payment_intent_unexpected_state' });
    await sandbox.fail(debit.id, { deliver: false });
    expect((await stripe.paymentIntents.cancel(debit.id)).status).toBe('canceled');
    expect(sandbox.retrievals(debit.id)).toBe(0);
    await stripe.paymentIntents.retrieve(debit.id);
    expect(sandbox.retrievals(debit.id)).toBe(1);
  });

  it('delivers webhooks signed as Stripe signs them, unless told not to', async () => {
    const intent = await create('idem-6');
    const result = await sandbox.succeed(intent.id);
    expect(result.delivery).toEqual({ status_code: 200 });
    const [delivery] = received;
    const event = stripe.webhooks.constructEvent(delivery.body, delivery.signature, SECRET, 300);
    expect(event).toMatchObject({ type: 'payment_intent.succeeded', data: { object: { id: intent.id, status: 'succeeded' } } });
    expect(() => stripe.webhooks.constructEvent(delivery.body, delivery.signature, 'whsec_other', 300)).toThrow();

    const other = await create('idem-7');
    await sandbox.fail(other.id, { deliver: false });
    expect(received).toHaveLength(1);
    expect(sandbox.events().at(-1)!.type).toBe('payment_intent.payment_failed');
  });

  it('injects faults: an error changes nothing; commit-then-timeout keeps what a retry then finds', async () => {
    sandbox.injectFault({ operation: 'create_payment_intent', mode: 'error', count: 1 });
    await expect(create('idem-8')).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(sandbox.paymentIntents()).toHaveLength(0);

    sandbox.injectFault({ operation: 'create_payment_intent', mode: 'commit_then_timeout', count: 1, delay_ms: 2000 });
    const impatient = client('sk_test_spec', 300);
    await expect(
      impatient.paymentIntents.create({ amount: 500, currency: 'eur' }, { idempotencyKey: 'idem-9' }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(sandbox.paymentIntents()).toHaveLength(1);
    const retried = await stripe.paymentIntents.create({ amount: 500, currency: 'eur' }, { idempotencyKey: 'idem-9' });
    expect(retried.id).toBe(sandbox.paymentIntents()[0].id);
    expect(sandbox.calls('create_payment_intent')).toBe(3);
  });

  it('refunds a succeeded intent, never more than was captured, idempotently', async () => {
    const intent = await create('idem-10', 10_000);
    await expect(stripe.refunds.create({ payment_intent: intent.id })).rejects.toMatchObject({ code: 'charge_not_refundable' });
    await sandbox.succeed(intent.id, { deliver: false });

    const partial = await stripe.refunds.create({ payment_intent: intent.id, amount: 4000 }, { idempotencyKey: 'refund-1' });
    expect(partial).toMatchObject({ object: 'refund', amount: 4000, currency: 'eur', status: 'succeeded', payment_intent: intent.id });
    expect((await stripe.refunds.create({ payment_intent: intent.id, amount: 4000 }, { idempotencyKey: 'refund-1' })).id).toBe(partial.id);
    await expect(stripe.refunds.create({ payment_intent: intent.id, amount: 7000 })).rejects.toMatchObject({ code: 'amount_too_large' });
    expect((await stripe.refunds.create({ payment_intent: intent.id })).amount).toBe(6000);
    await expect(stripe.refunds.create({ payment_intent: intent.id, amount: 1 })).rejects.toMatchObject({ code: 'charge_already_refunded' });
    expect(sandbox.refundedAmount(intent.id)).toBe(10_000);
    expect(sandbox.refunds()).toHaveLength(2);
  });
});
