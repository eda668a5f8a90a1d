import { ChangedConcurrentlyError } from '@app/core';

/**
 * Another run issued this version of the receipt first (the unique reservation-and-version key).
 * It may have issued another status than this run's ("pending" while this run saw the supplier's
 * confirmation), so this run reloads and decides again: a lost race, not "up to date".
 */
export class ReceiptVersionTakenError extends ChangedConcurrentlyError {
  readonly code = 'RECEIPT.VERSION_TAKEN';
  constructor(reservationCode: string, version: number) {
    super(`Version ${version} of the receipt of ${reservationCode} was issued by another run.`);
  }
}
