import { DataSource } from 'typeorm';
import { TransactionRunner } from '@app/core';
import { Reservation, ReservationsRepository } from '@app/reservations';
import { WRITTEN_ONCE_OR_APART } from '@app/reservations/testing';
import { DATABASE_KINDS } from '../support/test-database';
import { useIntegrationApp } from './support/integration-app';

type Property = keyof Reservation & string;

/** A value unlike the one the property holds, of the column's type and within its length. */
function anotherValue(dataSource: DataSource, property: Property, current: unknown): unknown {
  const column = dataSource.getMetadata(Reservation).findColumnWithPropertyName(property)!;
  const type = String(column.type);
  if (type === 'boolean') return !current;
  if (type === 'int') return (Number(current) || 0) + 7;
  if (type === 'datetime') return new Date(Date.UTC(2031, 4, 6, 7, 8, 9, 123));
  return `v-${property}`.slice(0, Number(column.length) || 16);
}

describe.each(DATABASE_KINDS)('saving a reservation on %s', (kind) => {
  const app = useIntegrationApp(kind);

  it('writes every column of the entity except those written once or apart, and only those', async () => {
    const dataSource = app().moduleRef.get(DataSource);
    const repository = app().moduleRef.get(ReservationsRepository);
    const transactions = app().moduleRef.get(TransactionRunner);
    const now = new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 6));
    const reservation = Reservation.create(
      {
        code: 'K7M2Q9XD',
        idempotencyKey: null,
        supplierCode: 'HERTZ',
        pickupOfficeCode: 'MAD-T4',
        pickup: { local: '2030-02-01T10:00', timeZone: 'Europe/Madrid', instant: new Date('2030-02-01T09:00:00Z') },
        dropoffOfficeCode: 'BCN-T1',
        dropoff: { local: '2030-02-03T10:00', timeZone: 'Europe/Madrid', instant: new Date('2030-02-03T09:00:00Z') },
        carCategoryCode: 'CDMR',
        customer: { firstName: 'Ana', lastName: 'García', email: 'ana@example.com', phone: '+34600000000' },
        price: { amount: 18950, currency: 'EUR' },
      },
      now,
    );
    await transactions.run((manager) => repository.insert(manager, reservation));
    const before = (await repository.findByCode('K7M2Q9XD'))!;

    const properties = dataSource.getMetadata(Reservation).columns.map((column) => column.propertyName as Property);
    const saved = properties.filter((property) => !WRITTEN_ONCE_OR_APART.includes(property));
    // Derived from the metadata, not kept by hand: every column the lifecycle changes is in it.
    const changedByTheLifecycle: Property[] = [
      'status',
      'paymentIntentId',
      'paymentClientSecret',
      'paymentFailureMessage',
      'supplierConfirmation',
      'paidAt',
      'needsAttention',
      'supplierAttempts',
      'supplierLastError',
      'supplierNextRetryAt',
      'supplierRejectedAt',
      'paymentIntentCanceledAt',
      'refundRequestedAt',
      'refundState',
      'refundLastError',
      'refundId',
      'refundedAmount',
    ];
    expect(saved).toEqual(expect.arrayContaining(changedByTheLifecycle));

    const changed = (await repository.findByCode('K7M2Q9XD'))!;
    const expected: Record<string, unknown> = {};
    for (const property of properties) {
      if (['id', 'lockVersion', 'updatedAt'].includes(property)) continue;
      const value = anotherValue(dataSource, property, changed[property]);
      (changed as unknown as Record<string, unknown>)[property] = value;
      expected[property] = saved.includes(property) ? value : before[property];
    }
    const savedAt = new Date(Date.UTC(2030, 0, 3, 0, 0, 0, 0));
    await transactions.run((manager) => repository.saveChanges(manager, changed, savedAt));

    const after = (await repository.findByCode('K7M2Q9XD'))!;
    for (const [property, value] of Object.entries(expected)) {
      expect({ property, value: after[property as Property] }).toEqual({ property, value });
    }
    expect(after.lockVersion).toBe(before.lockVersion + 1);
    expect(after.updatedAt).toEqual(savedAt);
  });
});
