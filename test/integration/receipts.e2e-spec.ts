import { IssueReceiptHandler, Receipt } from '@app/receipts';
import { ReservationStatus } from '@app/reservations';
import { aReservation } from '../support/builders';
import { waitForProgress } from '../support/wait-for-progress';
import { useIntegrationApp } from './support/integration-app';

/** The booking client tries a call three times before a run gives up: an outage is three answers. */
const DOWN = ['unavailable', 'unavailable', 'unavailable'] as const;

/**
 * Receipts issued by concurrent runs on MySQL (SQLite has one writer, so no two runs overlap):
 * the run that loses the version's unique key reloads and issues what is due, never "up to date"
 * on a receipt that says less than the reservation.
 */
describe('receipts issued concurrently on mysql (integration)', () => {
  const app = useIntegrationApp('mysql');

  it('a run that loses version 1 to a "pending" receipt while the supplier has confirmed issues version 2, "confirmed"', async () => {
    // Confirmed by us while the supplier was down: no receipt yet (its event is dropped here).
    app().supplier.next(...DOWN);
    const { code } = await app().createReservation(aReservation({}, { from: app().clock.now() }));
    await app().deliver(await app().pay(code));
    await app().settle();
    const { dataSource } = app();
    await dataSource.query('DELETE FROM receipts WHERE reservation_code = ?', [code]);

    // A run that read CONFIRMED_INTERNAL is inserting version 1 "pending", not committed yet…
    let issuing: Promise<unknown> | undefined;
    const slow = dataSource.createQueryRunner();
    await slow.connect();
    await slow.startTransaction();
    try {
      await slow.query(
        "INSERT INTO receipts (reservation_code, version, number, supplier_status, content, issued_at) VALUES (?, 1, ?, 'pending', '{}', ?)",
        [code, `tmp-${code}-1`, app().clock.now()],
      );
      // …when the supplier's confirmation commits and the next run starts.
      await dataSource.query("UPDATE reservations SET status = ?, supplier_confirmation = 'HZ-1' WHERE code = ?", [
        ReservationStatus.SUPPLIER_CONFIRMED,
        code,
      ]);
      issuing = app().moduleRef.get(IssueReceiptHandler).execute(code);
      await waitForProgress({
        what: 'the second run waiting on the version key',
        progress: async () => {
          const sessions: { state: string | null; info: string | null }[] = await dataSource.query(
            "SELECT STATE AS state, INFO AS info FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND COMMAND <> 'Sleep' AND INFO NOT LIKE '%PROCESSLIST%'",
          );
          return sessions.map((session) => `${session.state}: ${session.info?.slice(0, 60)}`);
        },
        done: (sessions) => sessions.some((session) => session.startsWith('Update: INSERT INTO `receipts`')),
        pollMs: 20,
      });
      await slow.commitTransaction();

      expect(await issuing).toBe('issued');
    } finally {
      if (slow.isTransactionActive) await slow.rollbackTransaction();
      await slow.release();
      // Never leave the run behind the test: it would write after the app has closed.
      await issuing?.catch(() => undefined);
    }
    const receipts = await dataSource.getRepository(Receipt).find({ where: { reservationCode: code }, order: { version: 'ASC' } });
    expect(receipts.map((receipt) => [receipt.version, receipt.supplierStatus])).toEqual([
      [1, 'pending'],
      [2, 'confirmed'],
    ]);
  });
});
