import Stripe from 'stripe';
import { SandboxHarness } from './sandbox.harness';

/** What a support agent does in the Stripe Dashboard, seen by the product only through webhooks. */
describe('Stripe sandbox: the Dashboard', () => {
  const harness = SandboxHarness.use();
  const { sandbox, received } = harness;

  /** An automatic intent the customer has paid, no webhook delivered. */
  const paid = async (amount = 10_000) => {
    const intent = await harness.stripe.paymentIntents.create({
      amount,
      currency: 'eur',
      metadata: { reservation_code: 'K7M2Q9XD' },
    });
    return (await sandbox.succeed(intent.id, { deliver: false })).payment_intent;
  };

  it('refunds in full: a refund, the charge refunded, charge.refunded; then nothing is left to refund', async () => {
    const intent = await paid();
    const result = await sandbox.refundInDashboard(intent.id);
    expect(result.refund).toMatchObject({
      object: 'refund',
      amount: 10_000,
      currency: 'eur',
      charge: intent.latest_charge,
      payment_intent: intent.id,
      status: 'succeeded',
    });
    expect(result.charge).toMatchObject({ amount_refunded: 10_000, refunded: true });
    expect(result.delivery).toEqual({ status_code: 200 });
    const [event] = await harness.deliveries();
    expect(event.type).toBe('charge.refunded');
    expect(event.data.object as Stripe.Charge).toMatchObject({
      object: 'charge',
      id: intent.latest_charge,
      amount_refunded: 10_000,
      refunded: true,
      payment_intent: intent.id,
      metadata: { reservation_code: 'K7M2Q9XD' },
    });
    expect(sandbox.refundedAmount(intent.id)).toBe(10_000);

    await expect(sandbox.refundInDashboard(intent.id)).rejects.toMatchObject({
      status: 400,
      body: { code: 'charge_already_refunded' },
    });
    const again = await harness.post('/sandbox/dashboard/refunds', { payment_intent: intent.id });
    expect(again).toMatchObject({ status: 400, body: { error: { code: 'charge_already_refunded' } } });
    await expect(harness.stripe.refunds.create({ payment_intent: intent.id })).rejects.toMatchObject({
      code: 'charge_already_refunded',
    });
    expect(received).toHaveLength(1);
  });

  it('refunds part of a partly captured payment over HTTP (form or JSON), never more than is left', async () => {
    const intent = await harness.stripe.paymentIntents.create({
      amount: 18_950,
      currency: 'eur',
      capture_method: 'manual',
    });
    await sandbox.succeed(intent.id, { deliver: false });
    const uncaptured = await harness.post('/sandbox/dashboard/refunds', { payment_intent: intent.id });
    expect(uncaptured).toMatchObject({ status: 400, body: { error: { code: 'charge_not_captured' } } });
    await harness.stripe.paymentIntents.capture(intent.id, { amount_to_capture: 12_000 });
    await harness.deliveries();
    received.length = 0;

    // An API refund sends charge.refunded as the Dashboard's do; both count against the same charge.
    await harness.stripe.refunds.create({ payment_intent: intent.id, amount: 2000 });
    const partial = await harness.post(
      '/sandbox/dashboard/refunds',
      { payment_intent: intent.id, amount: 4000 },
      'form',
    );
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({
      refund: { amount: 4000 },
      charge: { amount_refunded: 6000, refunded: false },
    });
    const tooMuch = await harness.post('/sandbox/dashboard/refunds', {
      payment_intent: intent.id,
      amount: 7000,
    });
    expect(tooMuch).toMatchObject({ status: 400, body: { error: { code: 'amount_too_large' } } });
    const rest = await harness.post('/sandbox/dashboard/refunds', { payment_intent: intent.id });
    expect(rest.body).toMatchObject({
      refund: { amount: 6000 },
      charge: { amount_refunded: 12_000, refunded: true },
    });

    const events = await harness.deliveries();
    expect(events.map((event) => event.type)).toEqual([
      'charge.refunded',
      'charge.refunded',
      'charge.refunded',
    ]);
    expect(events.map((event) => (event.data.object as Stripe.Charge).amount_refunded)).toEqual([
      2000, 6000, 12_000,
    ]);
    expect(sandbox.refundedAmount(intent.id)).toBe(12_000);
    expect(sandbox.refunds()).toHaveLength(3);
  });

  it('refunds without delivering when told (deliver: false), and refuses an unknown intent', async () => {
    const intent = await paid();
    const result = await sandbox.refundInDashboard(intent.id, { amount: 2500, deliver: false });
    expect(result).toMatchObject({
      refund: { amount: 2500 },
      delivery: null,
      event: { type: 'charge.refunded' },
    });
    expect(sandbox.events().at(-1)!.id).toBe(result.event.id);
    expect(received).toHaveLength(0);
    const unknown = await harness.post('/sandbox/dashboard/refunds', { payment_intent: 'pi_nope' });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'resource_missing' } } });
  });

  it('opens a dispute (charge.dispute.created), refuses a second one and refunds, and closes it (charge.dispute.closed)', async () => {
    const intent = await paid();
    const opened = await harness.post('/sandbox/dashboard/disputes', {
      payment_intent: intent.id,
      reason: 'product_not_received',
    });
    expect(opened.status).toBe(200);
    const dispute = (opened.body as { dispute: { id: string } }).dispute;
    expect(dispute).toMatchObject({
      id: expect.stringMatching(/^dp_/),
      object: 'dispute',
      amount: 10_000,
      currency: 'eur',
      charge: intent.latest_charge,
      payment_intent: intent.id,
      reason: 'product_not_received',
      status: 'needs_response',
      created: expect.any(Number),
    });
    const [created] = await harness.deliveries();
    expect(created).toMatchObject({ type: 'charge.dispute.created', data: { object: dispute } });
    expect(sandbox.disputes()).toEqual([dispute]);
    expect(sandbox.charge(intent.latest_charge!)!.disputed).toBe(true);

    const second = await harness.post('/sandbox/dashboard/disputes', { payment_intent: intent.id });
    expect(second.status).toBe(409);
    await expect(harness.stripe.refunds.create({ payment_intent: intent.id })).rejects.toMatchObject({
      code: 'charge_disputed',
    });
    const unsure = await harness.post(`/sandbox/dashboard/disputes/${dispute.id}/close`, { status: 'maybe' });
    expect(unsure).toMatchObject({ status: 400, body: { error: { param: 'status' } } });

    const closed = await harness.post(
      `/sandbox/dashboard/disputes/${dispute.id}/close`,
      { status: 'lost' },
      'form',
    );
    expect(closed.body).toMatchObject({
      dispute: { id: dispute.id, status: 'lost' },
      event: { type: 'charge.dispute.closed' },
    });
    const [, closedEvent] = await harness.deliveries();
    expect(closedEvent).toMatchObject({
      type: 'charge.dispute.closed',
      data: { object: { id: dispute.id, status: 'lost' } },
    });
    expect(
      (await harness.post(`/sandbox/dashboard/disputes/${dispute.id}/close`, { status: 'won' })).status,
    ).toBe(409);
    expect(sandbox.disputes()[0].status).toBe('lost');
  });

  it('disputes part of a payment for fraud by default, and wins it; refuses what cannot be disputed', async () => {
    const intent = await paid();
    const opened = await sandbox.openDispute(intent.id, { amount: 2500 });
    expect(opened.dispute).toMatchObject({ amount: 2500, reason: 'fraudulent', status: 'needs_response' });
    expect(opened.delivery).toEqual({ status_code: 200 });
    const won = await sandbox.closeDispute(opened.dispute.id, { status: 'won' });
    expect(won).toMatchObject({ dispute: { status: 'won' }, event: { type: 'charge.dispute.closed' } });
    const events = await harness.deliveries();
    expect(events.map((event) => event.type)).toEqual(['charge.dispute.created', 'charge.dispute.closed']);
    expect((await harness.stripe.refunds.create({ payment_intent: intent.id })).amount).toBe(10_000);

    const unpaid = await harness.stripe.paymentIntents.create({ amount: 500, currency: 'eur' });
    await expect(sandbox.openDispute(unpaid.id)).rejects.toMatchObject({
      status: 400,
      body: { code: 'charge_not_captured' },
    });
    const other = await paid();
    await expect(sandbox.openDispute(other.id, { reason: 'bored' })).rejects.toMatchObject({
      status: 400,
      body: { param: 'reason' },
    });
    await expect(sandbox.openDispute(other.id, { amount: 10_001 })).rejects.toMatchObject({
      body: { code: 'amount_too_large' },
    });
    await expect(sandbox.closeDispute('dp_nope', { status: 'won' })).rejects.toMatchObject({ status: 404 });
    sandbox.reset();
    expect(sandbox.disputes()).toEqual([]);
  });
});
