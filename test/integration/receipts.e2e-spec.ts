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

  /** Confirmed by us while the supplier was down, with no receipt yet (the one its event issued is dropped). */
  const confirmedInternalWithoutReceipt = async (): Promise<string> => {
    app().supplier.next(...DOWN);
    const { code } = await app().createReservation(aReservation({}, { from: app().clock.now() }));
    await app().deliver(await app().pay(code));
    await app().settle();
    await app().dataSource.query('DELETE FROM receipts WHERE reservation_code = ?', [code]);
    return code;
  };

  it('a run that loses version 1 to a "pending" receipt while the supplier has confirmed issues version 2, "confirmed"', async () => {
    const code = await confirmedInternalWithoutReceipt();
    const { dataSource } = app();

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
      await dataSource.query(
        "UPDATE reservations SET status = ?, supplier_confirmation = 'HZ-1' WHERE code = ?",
        [ReservationStatus.SUPPLIER_CONFIRMED, code],
      );
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
    const receipts = await dataSource
      .getRepository(Receipt)
      .find({ where: { reservationCode: code }, order: { version: 'ASC' } });
    expect(receipts.map((receipt) => [receipt.version, receipt.supplierStatus])).toEqual([
      [1, 'pending'],
      [2, 'confirmed'],
    ]);
  });

  it('a run issuing the first receipt while a release commits waits for it (FOR UPDATE): no "held" receipt outlives the hold', async () => {
    const code = await confirmedInternalWithoutReceipt();
    const { dataSource } = app();
    // As if the money were held: a manual capture not taken.
    await dataSource.query(
      "UPDATE reservations SET capture_method = 'manual', authorized_at = ?, captured_at = NULL WHERE code = ?",
      [app().clock.now(), code],
    );

    // The release has changed the row and not committed yet when the first receipt's run starts.
    const release = dataSource.createQueryRunner();
    await release.connect();
    await release.startTransaction();
    let issuing: Promise<string> | undefined;
    try {
      await release.query("UPDATE reservations SET status = 'RELEASED', released_at = ? WHERE code = ?", [
        app().clock.now(),
        code,
      ]);
      let settled = false;
      issuing = app().moduleRef.get(IssueReceiptHandler).execute(code);
      void issuing.finally(() => (settled = true)).catch(() => undefined);
      const seen = await waitForProgress({
        what: 'the receipt run waiting on the reservation row',
        // Its read of the row, in flight: FOR UPDATE waits for the release's lock.
        progress: async () => {
          const sessions: { info: string | null }[] = await dataSource.query(
            "SELECT INFO AS info FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND COMMAND <> 'Sleep' AND INFO NOT LIKE '%PROCESSLIST%'",
          );
          const waiting = sessions.filter(
            (session) => session.info?.includes(`'${code}'`) && session.info.endsWith('FOR UPDATE'),
          ).length;
          return { settled, waiting };
        },
        done: ({ settled, waiting }) => settled || waiting > 0,
        pollMs: 20,
      });
      // Read without the lock, it would have issued "pending, held" at once, for a hold being released.
      expect(seen).toEqual({ settled: false, waiting: 1 });
      await release.commitTransaction();

      // It reads the row as the release left it: nothing was promised, so nothing to issue.
      expect(await issuing).toBe('not_confirmed');
    } finally {
      if (release.isTransactionActive) await release.rollbackTransaction();
      await release.release();
      await issuing?.catch(() => undefined);
    }
    expect(await dataSource.getRepository(Receipt).countBy({ reservationCode: code })).toBe(0);
  });
});
