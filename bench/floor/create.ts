/**
 * Floor of `POST /api/v1/reservations`: the database and network work of a creation, written
 * by hand on node:http and mysql2, and nothing else. Per request:
 *
 *   BEGIN; INSERT idempotency_keys (IN_FLIGHT); INSERT reservations; INSERT reservation_status_history
 *   (→ CREATED); INSERT outbox_events (CREATE_PAYMENT_INTENT, the safety net due in 10 s); COMMIT
 *   POST /v1/payment_intents to the Stripe-compatible server (Idempotency-Key reservation-<code>-payment-intent)
 *   BEGIN; UPDATE reservations … WHERE id = ? AND lock_version = ?; INSERT reservation_status_history
 *   (→ PAYMENT_IN_PROGRESS); UPDATE idempotency_keys SET state = 'COMPLETED', response…; COMMIT
 *
 * Two durable commits around one call to Stripe, as few as the path allows: the key, the
 * reservation and its safety net must be durable before Stripe is asked (a crash then leaves
 * the outbox to finish), and the intent and the stored answer commit together. The version
 * written by the first transaction is known (1), so the second needs no read. Checks are by hand
 * against the catalog read once at start (the product caches it too); the request hash is the
 * SHA-256 of the raw body. Why it is the floor: the same rows and commits the path needs, with
 * the least CPU a careful hand-written server spends on them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { call, floorPool, isDuplicate, problem, reservationView, select, serve, setting, transaction, write, type Answer } from './support';

const SCOPE = 'POST /api/v1/reservations';
const KEY_PATTERN = /^[\x21-\x7e]{8,255}$/;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;
const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const STRIPE = setting('STRIPE_API_BASE');
const STRIPE_KEY = setting('STRIPE_SECRET_KEY');
const RESERVATION_COLUMNS =
  'code, idempotency_key, idempotency_fingerprint, status, supplier_code, pickup_office_code, pickup_local, pickup_time_zone, ' +
  'pickup_at, dropoff_office_code, dropoff_local, dropoff_time_zone, dropoff_at, car_category_code, customer_first_name, ' +
  'customer_last_name, customer_email, customer_phone, amount, currency, lock_version, created_at, updated_at';
const RESERVATION_INSERT = `INSERT INTO reservations (${RESERVATION_COLUMNS}) VALUES (${RESERVATION_COLUMNS.split(',').map(() => '?').join(', ')})`;
const HISTORY_INSERT = 'INSERT INTO reservation_status_history (reservation_id, from_status, to_status, cause, actor, created_at) VALUES (?, ?, ?, ?, NULL, ?)';

interface Catalog {
  zones: Map<string, string>; // `${supplier} ${office}` → time zone
  offers: Set<string>; // `${supplier} ${category}`
  currencies: Set<string>; // `${supplier} ${currency}`
}

const db = floorPool();

async function loadCatalog(): Promise<Catalog> {
  const offices = await select(db, 'SELECT supplier_code, code, time_zone FROM offices WHERE active = 1', []);
  const offers = await select(db, 'SELECT supplier_code, car_category_code FROM supplier_car_categories', []);
  const currencies = await select(db, 'SELECT supplier_code, currency FROM supplier_currencies', []);
  return {
    zones: new Map(offices.map((o) => [`${String(o.supplier_code)} ${String(o.code)}`, String(o.time_zone)])),
    offers: new Set(offers.map((o) => `${String(o.supplier_code)} ${String(o.car_category_code)}`)),
    currencies: new Set(currencies.map((c) => `${String(c.supplier_code)} ${String(c.currency)}`)),
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The instant of a wall-clock time in a time zone (Intl only; the later instant of a repeated hour is not sought). */
function instantOf(local: string, zone: string): Date | null {
  const m = LOCAL.exec(local);
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formatters.set(zone, format);
  }
  const offsetAt = (t: number) => {
    const p = Object.fromEntries(format.formatToParts(t).map((part) => [part.type, part.value]));
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute) - Math.floor(t / 60_000) * 60_000;
  };
  const first = wall - offsetAt(wall);
  return new Date(wall - offsetAt(first));
}

type Place = { office_code?: unknown; at?: unknown };
type Body = {
  supplier_code?: unknown;
  pickup?: Place;
  dropoff?: Place;
  car_category?: unknown;
  customer?: { first_name?: unknown; last_name?: unknown; email?: unknown; phone?: unknown };
  price?: { amount?: unknown; currency?: unknown };
};

/** The request's fields, checked by hand against the catalog, or the reason they are refused. */
function check(body: Body, catalog: Catalog, now: number) {
  const s = (value: unknown) => (typeof value === 'string' ? value : '');
  const supplier = s(body.supplier_code);
  const pickupOffice = s(body.pickup?.office_code);
  const dropoffOffice = s(body.dropoff?.office_code);
  const pickupZone = catalog.zones.get(`${supplier} ${pickupOffice}`);
  const dropoffZone = catalog.zones.get(`${supplier} ${dropoffOffice}`);
  if (!pickupZone || !dropoffZone) return 'office not found for the supplier';
  const pickupAt = instantOf(s(body.pickup?.at), pickupZone);
  const dropoffAt = instantOf(s(body.dropoff?.at), dropoffZone);
  if (!pickupAt || !dropoffAt || pickupAt.getTime() <= now || dropoffAt <= pickupAt) return 'rental period invalid';
  const category = s(body.car_category);
  if (!catalog.offers.has(`${supplier} ${category}`)) return 'car category not offered';
  const { first_name, last_name, email, phone } = body.customer ?? {};
  if (!s(first_name).trim() || !s(last_name).trim() || !s(email).includes('@') || !/^\+[1-9]\d{6,14}$/.test(s(phone))) return 'customer invalid';
  const amount = body.price?.amount;
  const currency = s(body.price?.currency);
  if (!Number.isInteger(amount) || (amount as number) < 50 || !catalog.currencies.has(`${supplier} ${currency}`)) return 'price invalid';
  return {
    supplier, pickupOffice, dropoffOffice, pickupZone, dropoffZone, pickupAt, dropoffAt, category,
    pickupLocal: s(body.pickup?.at), dropoffLocal: s(body.dropoff?.at),
    customer: { first: s(first_name), last: s(last_name), email: s(email), phone: s(phone) },
    amount: amount as number, currency,
  };
}

function newCode(): string {
  let code = '';
  for (const byte of randomBytes(8)) code += ALPHABET[byte & 31];
  return code;
}

/** The key exists: replay its answer, or say why not (another body: 422; still running: 409). */
async function known(key: string, hash: string): Promise<Answer> {
  const [row] = await select(db, 'SELECT request_hash, state, response_status, response_headers, response_body FROM idempotency_keys WHERE scope = ? AND idempotency_key = ?', [SCOPE, key]);
  if (!row) return problem(409, 'IDEMPOTENCY.REQUEST_IN_FLIGHT', 'retry later');
  if (row.request_hash !== hash) return problem(422, 'IDEMPOTENCY.KEY_REUSED', 'the key was used with another body');
  if (row.state !== 'COMPLETED') return problem(409, 'IDEMPOTENCY.REQUEST_IN_FLIGHT', 'retry later');
  const headers = { ...(JSON.parse(String(row.response_headers)) as Record<string, string>), 'idempotent-replayed': 'true' };
  return { status: Number(row.response_status), headers, body: JSON.parse(String(row.response_body)) };
}

async function create(raw: Buffer, key: string, catalog: Catalog): Promise<Answer> {
  let body: Body;
  try {
    body = JSON.parse(raw.toString('utf8')) as Body;
  } catch {
    return problem(400, 'REQUEST.MALFORMED_JSON', 'the body is not JSON');
  }
  const now = new Date();
  const input = check(body ?? {}, catalog, now.getTime());
  if (typeof input === 'string') return problem(422, 'REQUEST.INVALID', input);
  const hash = createHash('sha256').update(raw).digest('hex');

  let code = '';
  let ids: { key: number; reservation: number } | undefined;
  for (let attempt = 1; !ids; attempt++) {
    code = newCode();
    try {
      ids = await transaction(db, async (c) => {
        const keyRow = await write(c, 'INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, state, locked_until, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          SCOPE, key, hash, 'IN_FLIGHT', new Date(now.getTime() + 60_000), now, new Date(now.getTime() + 86_400_000),
        ]);
        const reservation = await write(c, RESERVATION_INSERT, [
          code, key, hash, 'CREATED', input.supplier, input.pickupOffice, input.pickupLocal, input.pickupZone, input.pickupAt,
          input.dropoffOffice, input.dropoffLocal, input.dropoffZone, input.dropoffAt, input.category, input.customer.first,
          input.customer.last, input.customer.email, input.customer.phone, input.amount, input.currency, 1, now, now,
        ]);
        await write(c, HISTORY_INSERT, [reservation.insertId, null, 'CREATED', 'reservation created', now]);
        await write(c, 'INSERT INTO outbox_events (type, lane, aggregate_type, aggregate_id, payload, status, attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)', [
          'CREATE_PAYMENT_INTENT', 'payments', 'reservation', code, JSON.stringify({ reservationCode: code }), 'PENDING', new Date(now.getTime() + 10_000), now, now,
        ]);
        return { key: keyRow.insertId, reservation: reservation.insertId };
      });
    } catch (error) {
      if (isDuplicate(error, 'UQ_idempotency_keys_scope_key')) return known(key, hash);
      if (!(attempt < 5 && isDuplicate(error, 'UQ_reservations_code'))) throw error;
    }
  }

  const row: Record<string, unknown> = {
    id: ids.reservation, code, status: 'CREATED', supplier_code: input.supplier, pickup_office_code: input.pickupOffice, pickup_local: input.pickupLocal,
    pickup_time_zone: input.pickupZone, pickup_at: input.pickupAt, dropoff_office_code: input.dropoffOffice, dropoff_local: input.dropoffLocal,
    dropoff_time_zone: input.dropoffZone, dropoff_at: input.dropoffAt, car_category_code: input.category, customer_first_name: input.customer.first,
    customer_last_name: input.customer.last, customer_email: input.customer.email, customer_phone: input.customer.phone, amount: input.amount,
    currency: input.currency, payment_intent_id: null, payment_client_secret: null, payment_failure_message: null, supplier_confirmation: null,
    supplier_rejected_at: null, created_at: now, updated_at: now,
  };
  const headers = { location: `/api/v1/reservations/${code}` };
  const complete = "UPDATE idempotency_keys SET state = 'COMPLETED', response_status = 202, response_headers = ?, response_body = ? WHERE id = ?";

  const form = new URLSearchParams({
    amount: String(input.amount), currency: input.currency.toLowerCase(), 'metadata[reservation_code]': code, 'automatic_payment_methods[enabled]': 'true',
  }).toString();
  const intent = await call(`${STRIPE}/v1/payment_intents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${STRIPE_KEY}`, 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': `reservation-${code}-payment-intent` },
    body: form,
  }).then((answer) => (answer.status === 200 ? (JSON.parse(answer.body) as { id: string; client_secret: string }) : null), () => null);

  if (!intent) {
    // Stripe did not answer in time: the safety net creates the intent later; the answer is stored as it is.
    const view = reservationView(row);
    await write(db, complete, [JSON.stringify(headers), JSON.stringify(view), ids.key]);
    return { status: 202, headers: { location: headers.location }, body: view };
  }
  const at = new Date();
  Object.assign(row, { status: 'PAYMENT_IN_PROGRESS', payment_intent_id: intent.id, payment_client_secret: intent.client_secret, updated_at: at });
  const view = reservationView(row);
  const { reservation, key: keyId } = ids;
  await transaction(db, async (c) => {
    const updated = await write(
      c,
      'UPDATE reservations SET status = ?, payment_intent_id = ?, payment_client_secret = ?, updated_at = ?, lock_version = lock_version + 1 WHERE id = ? AND lock_version = ?',
      ['PAYMENT_IN_PROGRESS', intent.id, intent.client_secret, at, reservation, 1],
    );
    if (updated.affectedRows !== 1) throw new Error(`reservation ${code} changed concurrently`);
    await write(c, HISTORY_INSERT, [reservation, 'CREATED', 'PAYMENT_IN_PROGRESS', 'payment intent created', at]);
    await write(c, complete, [JSON.stringify(headers), JSON.stringify(view), keyId]);
  });
  return { status: 202, headers: { location: headers.location }, body: view };
}

async function main(): Promise<void> {
  const catalog = await loadCatalog();
  serve(db, async (req, raw) => {
    if (req.method !== 'POST' || req.url !== '/api/v1/reservations') return problem(404, 'NOT_FOUND', 'no such route');
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) return problem(400, 'IDEMPOTENCY.KEY_INVALID', 'Idempotency-Key missing or invalid');
    return create(raw, key, catalog);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`floor create: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
