import { ReservationStatus } from '@app/reservations';
import { LifecycleChange } from '../lifecycle-change';
import { aLifecycleChange } from '../testing';
import { CLOUDEVENTS_JSON, cloudEventOf, subjectOf } from './cloud-event';

const aChange = (overrides: Partial<LifecycleChange> = {}): LifecycleChange =>
  aLifecycleChange({
    status: ReservationStatus.SUPPLIER_CONFIRMED,
    previousStatus: ReservationStatus.PAID,
    progress: { code: 'issued', payment: 'succeeded', supplier: 'confirmed' },
    supplierConfirmation: 'HZ-CONF-991',
    ...overrides,
  });

const SOURCE = 'urn:car-rental:reservations-api';

describe('cloudEventOf', () => {
  it('has every attribute CloudEvents 1.0 requires (id, source, specversion, type), non-empty strings', () => {
    const event = cloudEventOf(aChange(), SOURCE);
    for (const attribute of ['id', 'source', 'specversion', 'type'] as const) {
      expect(typeof event[attribute]).toBe('string');
      expect(event[attribute].length).toBeGreaterThan(0);
    }
    expect(event.specversion).toBe('1.0');
    expect(event.source).toBe(SOURCE);
    expect(event.type).toBe('reservation.supplier_confirmed');
  });

  it('sets the optional attributes as the spec defines them: subject, an RFC 3339 time, the data content type', () => {
    const event = cloudEventOf(aChange(), SOURCE);
    expect(event.subject).toBe('K7M2Q9XD');
    expect(event.time).toBe('2030-05-01T08:30:00.123Z');
    expect(new Date(event.time).toISOString()).toBe(event.time);
    expect(event.datacontenttype).toBe('application/json');
    // Attribute names: lower-case letters and digits only (CloudEvents naming rules), data apart.
    for (const name of Object.keys(event).filter((key) => key !== 'data'))
      expect(name).toMatch(/^[a-z0-9]{1,20}$/);
    expect(CLOUDEVENTS_JSON).toMatch(/^application\/cloudevents\+json/);
  });

  it('the id is the change id: the same on every retry, different for another change', () => {
    const change = aChange();
    expect(cloudEventOf(change, SOURCE).id).toBe('evt_K7M2Q9XD_42');
    expect(cloudEventOf(change, SOURCE)).toEqual(cloudEventOf({ ...change }, SOURCE));
    expect(JSON.stringify(cloudEventOf(change, SOURCE))).toBe(JSON.stringify(cloudEventOf(change, SOURCE)));
    expect(cloudEventOf(aChange({ id: 'evt_K7M2Q9XD_43' }), SOURCE).id).not.toBe(
      cloudEventOf(change, SOURCE).id,
    );
  });

  it('carries the booking facts in data, and no field for personal data', () => {
    const event = cloudEventOf(aChange(), SOURCE);
    expect(event.data).toEqual({
      reservation_code: 'K7M2Q9XD',
      status: 'SUPPLIER_CONFIRMED',
      previous_status: 'PAID',
      progress: { code: 'issued', payment: 'succeeded', supplier: 'confirmed' },
      supplier_code: 'HERTZ',
      pickup_office_code: 'MAD-T4',
      dropoff_office_code: 'BCN-T1',
      car_category: 'CDMR',
      pickup_at: '2030-06-01T08:00:00.000Z',
      dropoff_at: '2030-06-05T08:00:00.000Z',
      amount: 18950,
      currency: 'EUR',
      supplier_confirmation: 'HZ-CONF-991',
    });
    const text = JSON.stringify(event).toLowerCase();
    for (const absent of ['email', 'e-mail', 'phone', 'name', 'customer', '@'])
      expect(text).not.toContain(absent);
  });

  it('a change that the payload carried personal data in would still not pass it on (only known fields are copied)', () => {
    const withExtra = {
      ...aChange(),
      customerEmail: 'ana@example.com',
      customerName: 'Ana Pérez',
    } as LifecycleChange;
    const text = JSON.stringify(cloudEventOf(withExtra, SOURCE));
    expect(text).not.toContain('ana@example.com');
    expect(text).not.toContain('Ana Pérez');
  });
});

describe('subjectOf', () => {
  it('is the prefix and the status in lower case', () => {
    expect(subjectOf('reservations', aChange())).toBe('reservations.supplier_confirmed');
    expect(subjectOf('acme.prod.reservations', aChange({ status: ReservationStatus.PAID }))).toBe(
      'acme.prod.reservations.paid',
    );
  });

  it('is a valid NATS subject for every status: tokens of letters, digits, _ and -', () => {
    for (const status of Object.values(ReservationStatus)) {
      expect(subjectOf('reservations', aChange({ status }))).toMatch(/^reservations\.[a-z_]+$/);
    }
  });
});
