import { OutboxEvent, OutboxStatus } from '@app/outbox';
import request from 'supertest';
import { DATABASE_KINDS } from '../support/test-database';
import { startSupplierFixture, SupplierFixture } from '../suppliers/supplier-fixture';

const METRICS_TOKEN = 'metrics-token-0123456789';

/** Prometheus `/metrics`: what an operator watches, from real flows on both databases. */
describe.each(DATABASE_KINDS)('metrics on %s', (kind) => {
  let f: SupplierFixture;

  beforeAll(async () => {
    // No polling: events run when their enqueue nudges the drainer, so rows the test writes
    // straight into the table stay as written.
    f = await startSupplierFixture(kind, { METRICS_TOKEN, OUTBOX_POLL_INTERVAL_MS: '3600000' });
  });
  afterAll(async () => {
    await f.close();
  });

  const scrape = async () => (await request(f.base).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200)).text;
  /** The value of one sample, `name{labels}`, or undefined when absent. */
  const sample = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('needs METRICS_TOKEN when it is set, and answers in the Prometheus text format', async () => {
    await request(f.base).get('/metrics').expect(401);
    await request(f.base).get('/metrics').set('Authorization', 'Bearer wrong-token-000000000').expect(401);
    const response = await request(f.base).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    expect(sample(response.text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts a reservation through its whole flow: HTTP, creation, transitions, webhook, supplier call, receipt, mail', async () => {
    const code = await f.reserveAndPay('BUDGET');
    await f.settle();
    await request(f.base).get('/api/v1/reservations/NOPE0000/receipt').query({ email: 'x@example.com' }).expect(404);
    await request(f.base).get('/api/v1/no-such-route').expect(404);
    const text = await scrape();

    expect(sample(text, 'http_request_duration_seconds_count{method="POST",route="/api/v1/reservations",status_code="202"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="/api/v1/reservations/:code/receipt",status_code="404"}')).toBeGreaterThanOrEqual(1);
    // An unknown path is counted under the catch-all route that answers its 404.
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="/api/v1/{*path}",status_code="404"}')).toBeGreaterThanOrEqual(1);
    // Routes are patterns: no reservation code ever becomes a label.
    expect(text).not.toContain(code);
    expect(text).not.toContain('NOPE0000');

    expect(sample(text, 'reservations_created_total{supplier="BUDGET"}')).toBe(1);
    expect(sample(text, 'reservation_status_transitions_total{from="none",to="CREATED"}')).toBe(1);
    expect(sample(text, 'reservation_status_transitions_total{from="PAYMENT_IN_PROGRESS",to="PAID"}')).toBe(1);
    expect(sample(text, 'reservation_status_transitions_total{from="PAID",to="SUPPLIER_CONFIRMED"}')).toBe(1);
    expect(sample(text, 'stripe_webhook_events_total{type="payment_intent.succeeded",outcome="applied"}')).toBe(1);
    expect(sample(text, 'supplier_call_duration_seconds_count{supplier="BUDGET",operation="book",outcome="confirmed"}')).toBe(1);
    expect(sample(text, 'supplier_circuit_state{supplier="BUDGET"}')).toBe(0);
    expect(sample(text, 'receipts_issued_total{supplier_status="confirmed"}')).toBe(1);
    expect(sample(text, 'receipt_emails_total{outcome="sent",via="file"}')).toBe(1);
  });

  it('shows the outbox backlog and DEAD events by type, and how late the oldest due event is', async () => {
    const events = f.t.dataSource.getRepository(OutboxEvent);
    const now = Date.now();
    const row = (status: OutboxStatus, type: string, nextAttemptAt: Date | null) => ({
      type,
      aggregateType: 'test',
      aggregateId: 'metrics',
      payload: '{}',
      status,
      attempts: 1,
      nextAttemptAt,
      leaseOwner: null,
      leaseExpiresAt: null,
      lastError: status === OutboxStatus.DEAD ? 'gave up' : null,
      createdAt: new Date(now - 300_000),
      updatedAt: new Date(now - 300_000),
      processedAt: null,
    });
    await events.insert([
      row(OutboxStatus.PENDING, 'SEND_RECEIPT_EMAIL', new Date(now - 120_000)),
      row(OutboxStatus.PENDING, 'SEND_RECEIPT_EMAIL', new Date(now - 10_000)),
      // Not due yet, and parked: not backlog.
      row(OutboxStatus.PENDING, 'SEND_RECEIPT_EMAIL', new Date(now + 600_000)),
      row(OutboxStatus.PENDING, 'SEND_RECEIPT_EMAIL', null),
      row(OutboxStatus.DEAD, 'ISSUE_RECEIPT', null),
      row(OutboxStatus.DONE, 'ISSUE_RECEIPT', null),
    ]);
    try {
      const text = await scrape();
      expect(sample(text, 'outbox_backlog_events{type="SEND_RECEIPT_EMAIL"}')).toBe(2);
      expect(sample(text, 'outbox_dead_events{type="ISSUE_RECEIPT"}')).toBe(1);
      expect(sample(text, 'outbox_oldest_due_age_seconds')).toBeGreaterThanOrEqual(119);
      expect(sample(text, 'outbox_oldest_due_age_seconds')).toBeLessThan(180);
    } finally {
      await events.delete({ aggregateId: 'metrics' });
    }
    expect(sample(await scrape(), 'outbox_backlog_events{type="SEND_RECEIPT_EMAIL"}')).toBeUndefined();
  });
});
