import request from 'supertest';
import {
  ReservationChangedConcurrentlyError,
  ReservationsRepository,
  ReservationStatus,
} from '@app/reservations';
import { TransactionRunner } from '@app/core';
import { aCreateBody, aKey } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';
import { DATABASE_KINDS } from '../support/test-database';

describe.each(DATABASE_KINDS)('optimistic lock on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => {
    await t.close();
  });

  it('two concurrent writers of one version: exactly one wins, the other gets a typed error', async () => {
    const created = await request(t.server).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(aCreateBody()).expect(202);
    const code = created.body.reservation_code as string;
    const repository = t.app.get(ReservationsRepository);
    const transactions = t.app.get(TransactionRunner);

    // Both read version 1, then both write at once, each in its own transaction and connection.
    const [paying, expiring] = await Promise.all([repository.findByCode(code), repository.findByCode(code)]);
    paying!.transitionTo(ReservationStatus.PAID, 'payment_intent.succeeded');
    expiring!.transitionTo(ReservationStatus.EXPIRED, 'payment window elapsed');
    const outcomes = await Promise.allSettled([
      transactions.run((manager) => repository.saveChanges(manager, paying!, new Date())),
      transactions.run((manager) => repository.saveChanges(manager, expiring!, new Date())),
    ]);

    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const lost = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toBeInstanceOf(ReservationChangedConcurrentlyError);

    const stored = await repository.findByCode(code);
    expect(stored!.lockVersion).toBe(2);
    const history = await repository.history(stored!.id);
    // The loser's history row rolled back with its update.
    expect(history.map((row) => row.toStatus)).toEqual([ReservationStatus.CREATED, stored!.status]);
  });

  it('a writer holding a stale version cannot overwrite a newer one', async () => {
    const created = await request(t.server).post('/api/v1/reservations').set('Idempotency-Key', aKey()).send(aCreateBody()).expect(202);
    const repository = t.app.get(ReservationsRepository);
    const transactions = t.app.get(TransactionRunner);
    const stale = await repository.findByCode(created.body.reservation_code);
    const fresh = await repository.findByCode(created.body.reservation_code);

    fresh!.transitionTo(ReservationStatus.PAYMENT_IN_PROGRESS, 'payment intent created');
    await transactions.run((manager) => repository.saveChanges(manager, fresh!, new Date()));
    stale!.transitionTo(ReservationStatus.EXPIRED, 'payment window elapsed');
    await expect(transactions.run((manager) => repository.saveChanges(manager, stale!, new Date()))).rejects.toBeInstanceOf(
      ReservationChangedConcurrentlyError,
    );
    expect((await repository.findByCode(created.body.reservation_code))!.status).toBe(ReservationStatus.PAYMENT_IN_PROGRESS);
  });
});
