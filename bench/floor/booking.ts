/**
 * Floor of the supplier booking (the BOOK_WITH_SUPPLIER handler under the outbox drainer),
 * written by hand on node:http and mysql2: a drainer loop, no HTTP server of its own. It books
 * with BUDGET (JSON REST; the bench gives every reservation that supplier). Per batch of 100:
 *
 *   BEGIN (READ COMMITTED); SELECT … FROM outbox_events WHERE lane = 'bookings' AND next_attempt_at <= ?
 *     ORDER BY next_attempt_at, id LIMIT 100 FOR UPDATE SKIP LOCKED; UPDATE … SET status = 'PROCESSING', lease …; COMMIT
 *   SELECT … FROM reservations WHERE code IN (…)          (the batch's reservations in one read)
 *
 * then, 16 at a time, per booking:
 *
 *   POST /v1/reservations to the supplier (outside any transaction)
 *   BEGIN; UPDATE reservations … WHERE id = ? AND lock_version = ? (→ SUPPLIER_CONFIRMED);
 *   INSERT reservation_status_history; INSERT reservation_supplier_requests (personal data masked);
 *   INSERT outbox_events (ISSUE_RECEIPT); UPDATE outbox_events SET status = 'DONE' … WHERE id = ? AND lease_owner = ?; COMMIT
 *
 * One durable commit per booking and one per claim. It claims BOOK_WITH_SUPPLIER only (it has
 * no other handler): the ISSUE_RECEIPT events it writes stay for the product. Why it is the
 * floor: the claim, the call and the one transaction a booking needs, with the least work.
 */
import { call, floorPool, onStop, select, setting, transaction, write, type Row } from './support';

const BATCH = 100;
const CONCURRENCY = 16;
const POLL_MS = 50;
const LEASE_MS = 30_000;
const SUPPLIER = setting('SUPPLIER_BUDGET_URL');
const OWNER = `floor:${process.pid}`;
const COLUMNS =
  'id, code, status, lock_version, supplier_code, supplier_attempts, pickup_office_code, pickup_local, dropoff_office_code, ' +
  'dropoff_local, car_category_code, customer_first_name, customer_last_name, customer_email, customer_phone, amount, currency';

const db = floorPool();
let stopping = false;
let claims = 0;

/** Every occurrence of the customer's data, raw or JSON-escaped, becomes `***` (SPEC §6). */
function mask(body: string, r: Row): string {
  const first = String(r.customer_first_name);
  const last = String(r.customer_last_name);
  const values = [first, last, `${first} ${last}`, String(r.customer_email), String(r.customer_phone)];
  const forms = new Set(values.flatMap((value) => [value, JSON.stringify(value).slice(1, -1)]));
  let masked = body;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) masked = masked.split(form).join('***');
  return masked;
}

async function book(eventId: number, r: Row, owner: string): Promise<void> {
  const request = JSON.stringify({
    external_reference: r.code,
    pickup: { location_code: r.pickup_office_code, datetime: `${String(r.pickup_local)}:00` },
    return: { location_code: r.dropoff_office_code, datetime: `${String(r.dropoff_local)}:00` },
    vehicle: { sipp_code: r.car_category_code },
    renter: { first_name: r.customer_first_name, last_name: r.customer_last_name, email: r.customer_email, phone: r.customer_phone },
    estimated_total: { amount: (Number(r.amount) / 100).toFixed(2), currency: r.currency },
  });
  const started = performance.now();
  const answer = await call(`${SUPPLIER}/v1/reservations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer budget_bench' },
    body: request,
  }).catch((error: Error) => ({ status: 0, body: error.message }));
  const latency = Math.round(performance.now() - started);
  const confirmation = answer.status === 201 || answer.status === 200 ? (JSON.parse(answer.body) as { confirmation_number?: string }).confirmation_number : undefined;
  const now = new Date();
  if (!confirmation || r.status !== 'PAID') {
    // Not the path measured (the simulator has no faults): give the event back for later.
    await write(db, "UPDATE outbox_events SET status = 'PENDING', next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL, last_error = ?, updated_at = ? WHERE id = ? AND lease_owner = ?", [
      new Date(now.getTime() + 5_000), `supplier answered ${answer.status}`.slice(0, 1000), now, eventId, owner,
    ]);
    return;
  }
  const attempt = Number(r.supplier_attempts) + 1;
  await transaction(db, async (c) => {
    const updated = await write(
      c,
      "UPDATE reservations SET status = 'SUPPLIER_CONFIRMED', supplier_confirmation = ?, supplier_attempts = ?, supplier_last_error = NULL, " +
        'supplier_next_retry_at = NULL, updated_at = ?, lock_version = lock_version + 1 WHERE id = ? AND lock_version = ?',
      [confirmation, attempt, now, r.id, r.lock_version],
    );
    if (updated.affectedRows !== 1) throw new Error(`reservation ${String(r.code)} changed concurrently`);
    await write(c, 'INSERT INTO reservation_status_history (reservation_id, from_status, to_status, cause, actor, created_at) VALUES (?, ?, ?, ?, NULL, ?)', [
      r.id, 'PAID', 'SUPPLIER_CONFIRMED', `BUDGET confirmed ${confirmation}`, now,
    ]);
    await write(
      c,
      'INSERT INTO reservation_supplier_requests (reservation_code, supplier_code, attempt, call_index, operation, request_body, response_status, ' +
        'response_body, outcome, error, latency_ms, created_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, NULL, ?, ?)',
      [r.code, r.supplier_code, attempt, 'book', mask(request, r), answer.status, mask(answer.body, r), 'confirmed', latency, now],
    );
    await write(c, 'INSERT INTO outbox_events (type, lane, aggregate_type, aggregate_id, payload, status, attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)', [
      'ISSUE_RECEIPT', 'receipts', 'reservation', r.code, JSON.stringify({ reservationCode: r.code }), 'PENDING', now, now, now,
    ]);
    await write(
      c,
      "UPDATE outbox_events SET status = 'DONE', next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, " +
        "processed_at = ?, updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'PROCESSING'",
      [now, now, eventId, owner],
    );
  });
}

/** Claims one batch and books it; the number of events claimed. */
async function drainOnce(): Promise<number> {
  const now = new Date();
  const lease = new Date(now.getTime() + LEASE_MS);
  const owner = `${OWNER}#${++claims}`;
  const events = await transaction(
    db,
    async (c) => {
      const rows = await select(
        c,
        "SELECT id, aggregate_id FROM outbox_events WHERE lane = 'bookings' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED",
        [now, BATCH],
      );
      if (rows.length > 0) {
        await write(c, "UPDATE outbox_events SET status = 'PROCESSING', lease_owner = ?, lease_expires_at = ?, next_attempt_at = ?, attempts = attempts + 1, updated_at = ? WHERE id IN (?)", [
          owner, lease, lease, now, rows.map((row) => row.id),
        ]);
      }
      return rows;
    },
    'READ COMMITTED',
  );
  if (events.length === 0) return 0;
  const reservations = await select(db, `SELECT ${COLUMNS} FROM reservations WHERE code IN (?)`, [events.map((e) => e.aggregate_id)]);
  const byCode = new Map(reservations.map((r) => [String(r.code), r]));
  let next = 0;
  const worker = async () => {
    while (next < events.length) {
      const event = events[next++];
      const r = byCode.get(String(event.aggregate_id));
      if (r) await book(Number(event.id), r, owner).catch((error: unknown) => process.stderr.write(`floor booking: ${String(error)}\n`));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return events.length;
}

async function main(): Promise<void> {
  onStop(async () => {
    stopping = true;
    await db.end();
  });
  // The bench waits for this line, as it waits for /health/ready of a server.
  process.stdout.write('ready\n');
  while (!stopping) {
    const claimed = await drainOnce();
    if (claimed < BATCH) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

main().catch((error: unknown) => {
  if (stopping) return;
  process.stderr.write(`floor booking: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
