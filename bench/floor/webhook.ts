/**
 * Floor of `POST /api/v1/webhooks/stripe`: a signed `payment_intent.succeeded`, written by hand
 * on node:http, node:crypto and mysql2. Per event:
 *
 *   verify Stripe-Signature (HMAC-SHA256 of `<t>.<raw body>`, 300 s tolerance; node:crypto)
 *   BEGIN
 *   INSERT stripe_webhook_events (event id: a redelivery fails here, ROLLBACK, answered `duplicate`)
 *   SELECT id, status, lock_version, payment_intent_id FROM reservations WHERE code = ?
 *   UPDATE reservations SET status = 'PAID', paid_at, … , lock_version + 1 WHERE id = ? AND lock_version = ?
 *   INSERT reservation_status_history (→ PAID)
 *   INSERT outbox_events (BOOK_WITH_SUPPLIER, due at once)
 *   COMMIT
 *
 * One durable commit per event. The read is there because the lock check needs the version
 * and the lifecycle needs the status (only CREATED, PAYMENT_IN_PROGRESS, PAYMENT_FAILED or
 * EXPIRED may become PAID); a status already PAID is acknowledged as `ignored`. Why it is the
 * floor: the statements and the commit the path needs, without framework, ORM or Stripe SDK.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { floorPool, isDuplicate, problem, select, serve, setting, transaction, write } from './support';

const SECRET = setting('STRIPE_WEBHOOK_SECRET');
const TOLERANCE_S = 300;
const PAYABLE = new Set(['CREATED', 'PAYMENT_IN_PROGRESS', 'PAYMENT_FAILED', 'EXPIRED']);

interface StripeEvent {
  id: string;
  type: string;
  data: { object: { id: string; metadata?: { reservation_code?: string } } };
}

/** Stripe's scheme: `t=<unix>,v1=<hex>[,v1=…]`; any v1 that matches, within the tolerance. */
function verified(raw: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  let timestamp = '';
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.split('=', 2);
    if (name === 't') timestamp = value;
    else if (name === 'v1' && value) signatures.push(value);
  }
  if (!timestamp || Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_S) return false;
  const expected = createHmac('sha256', SECRET).update(`${timestamp}.`).update(raw).digest();
  return signatures.some((signature) => {
    const given = Buffer.from(signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const db = floorPool();

serve(db, async (req, raw) => {
  if (req.method !== 'POST' || req.url !== '/api/v1/webhooks/stripe') return problem(404, 'NOT_FOUND', 'no such route');
  const header = req.headers['stripe-signature'];
  if (!verified(raw, typeof header === 'string' ? header : undefined)) return problem(400, 'WEBHOOK.SIGNATURE_INVALID', 'bad signature');
  const event = JSON.parse(raw.toString('utf8')) as StripeEvent;
  const intent = event.data.object;
  const code = intent.metadata?.reservation_code;
  if (event.type !== 'payment_intent.succeeded' || !code) return { status: 200, body: { received: true, outcome: 'ignored_type' } };

  const now = new Date();
  try {
    const outcome = await transaction(db, async (c) => {
      await write(c, 'INSERT INTO stripe_webhook_events (event_id, type, payment_intent_id, reservation_code, outcome, received_at) VALUES (?, ?, ?, ?, ?, ?)', [
        event.id, event.type, intent.id, code.slice(0, 8), 'applied', now,
      ]);
      const [r] = await select(c, 'SELECT id, status, lock_version, payment_intent_id FROM reservations WHERE code = ?', [code]);
      if (!r || !PAYABLE.has(String(r.status)) || (r.payment_intent_id && r.payment_intent_id !== intent.id)) {
        const result = r ? 'ignored' : 'unknown_reservation';
        await write(c, 'UPDATE stripe_webhook_events SET outcome = ? WHERE event_id = ?', [result, event.id]);
        return result;
      }
      const updated = await write(
        c,
        "UPDATE reservations SET status = 'PAID', payment_intent_id = ?, payment_failure_message = NULL, paid_at = ?, updated_at = ?, " +
          'lock_version = lock_version + 1 WHERE id = ? AND lock_version = ?',
        [intent.id, now, now, r.id, r.lock_version],
      );
      if (updated.affectedRows !== 1) throw new Error(`reservation ${code} changed concurrently`);
      await write(c, 'INSERT INTO reservation_status_history (reservation_id, from_status, to_status, cause, actor, created_at) VALUES (?, ?, ?, ?, NULL, ?)', [
        r.id, r.status, 'PAID', `stripe ${event.type} ${event.id}`, now,
      ]);
      await write(c, 'INSERT INTO outbox_events (type, lane, aggregate_type, aggregate_id, payload, status, attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)', [
        'BOOK_WITH_SUPPLIER', 'bookings', 'reservation', code, JSON.stringify({ reservationCode: code }), 'PENDING', now, now, now,
      ]);
      return 'applied';
    });
    return { status: 200, body: { received: true, outcome } };
  } catch (error) {
    if (isDuplicate(error, 'PRIMARY')) return { status: 200, body: { received: true, outcome: 'duplicate' } };
    throw error;
  }
});
