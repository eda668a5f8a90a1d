/**
 * Floor of `GET /api/v1/reservations/:code?email=`: the customer's lookup, written by hand on
 * node:http and mysql2. Per request:
 *
 *   SELECT <the view's columns> FROM reservations WHERE code = ?     (UQ_reservations_code)
 *   INSERT INTO audit_log (…)                                        (autocommit: one durable commit)
 *
 * The e-mail is compared in code, case-insensitively (as `Reservation.belongsTo`), so that a
 * wrong code and a wrong e-mail get the same 404; the audit row is written for every outcome
 * before the answer leaves, as `@Audited` does. Why it is the floor: one read and one insert are
 * what the path needs (no personal data disclosed without its audit entry), and nothing else runs.
 */
import { randomUUID } from 'node:crypto';
import { floorPool, problem, reservationView, select, serve, VIEW_COLUMNS, write } from './support';

const PATH = /^\/api\/v1\/reservations\/([^/?]+)\?(.*)$/;
const CODE = /^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/;
const AUDIT = 'INSERT INTO audit_log (occurred_at, actor, client_ip, action, resource_id, outcome, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)';
const FIND = `SELECT ${VIEW_COLUMNS} FROM reservations WHERE code = ?`;

const db = floorPool();

serve(db, async (req) => {
  const match = req.method === 'GET' ? PATH.exec(req.url ?? '') : null;
  if (!match) return problem(404, 'NOT_FOUND', 'no such route');
  const asked = decodeURIComponent(match[1]).toUpperCase();
  const email = new URLSearchParams(match[2]).get('email');
  if (email === null) return problem(400, 'REQUEST.FIELD_REQUIRED', 'email is required');
  const code = asked.trim();
  const [row] = CODE.test(code) ? await select(db, FIND, [code]) : [];
  const found = row !== undefined && String(row.customer_email).toLowerCase() === email.trim().toLowerCase();
  const requestId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : randomUUID();
  await write(db, AUDIT, [new Date(), 'customer', req.socket.remoteAddress ?? null, 'reservation.read', asked.slice(0, 64), found ? 'ok' : 'RESERVATION.NOT_FOUND', requestId]);
  if (!found) return problem(404, 'RESERVATION.NOT_FOUND', 'No reservation with this code and e-mail.');
  return { status: 200, headers: { 'x-request-id': requestId }, body: reservationView(row) };
});
