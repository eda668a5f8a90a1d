import { ReservationStatus } from '@app/reservations';
import { aLifecycleChange } from '../testing';
import { statusWebhookBodyOf, verdictOf } from './status-webhook';

const aChange = aLifecycleChange;

describe('verdictOf: what a receiver answer means for the delivery', () => {
  const MAX = 300_000;

  it('2xx: delivered', () => {
    for (const status of [200, 201, 202, 204, 299])
      expect(verdictOf(status, null, MAX)).toEqual({ kind: 'delivered' });
  });

  it('3xx: refused (a redirect is not followed, never retried)', () => {
    for (const status of [300, 301, 302, 303, 304, 307, 308])
      expect(verdictOf(status, null, MAX)).toEqual({ kind: 'refused' });
  });

  it('4xx other than 429: refused, never retried', () => {
    for (const status of [400, 401, 403, 404, 405, 409, 410, 413, 422, 499])
      expect(verdictOf(status, null, MAX)).toEqual({ kind: 'refused' });
    // A Retry-After does not make a refusal retryable.
    expect(verdictOf(410, '5', MAX)).toEqual({ kind: 'refused' });
  });

  it('429: retried, after its Retry-After in seconds when it gives one', () => {
    expect(verdictOf(429, null, MAX)).toEqual({ kind: 'retry' });
    expect(verdictOf(429, '7', MAX)).toEqual({ kind: 'retry', afterMs: 7000 });
    expect(verdictOf(429, '0', MAX)).toEqual({ kind: 'retry', afterMs: 0 });
    expect(verdictOf(429, ' 3 ', MAX)).toEqual({ kind: 'retry', afterMs: 3000 });
  });

  it('a Retry-After that is not whole seconds (an HTTP date, a fraction, a negative, garbage) is ignored: plain backoff', () => {
    for (const header of ['Wed, 21 Oct 2015 07:28:00 GMT', '1.5', '-3', 'soon', '', '12345678']) {
      expect(verdictOf(429, header, MAX)).toEqual({ kind: 'retry' });
    }
  });

  it('5xx: retried, with a Retry-After honoured too', () => {
    for (const status of [500, 502, 503, 504, 599])
      expect(verdictOf(status, null, MAX)).toEqual({ kind: 'retry' });
    expect(verdictOf(503, '2', MAX)).toEqual({ kind: 'retry', afterMs: 2000 });
  });

  it('a Retry-After is capped at the largest backoff', () => {
    expect(verdictOf(429, '3600', 60_000)).toEqual({ kind: 'retry', afterMs: 60_000 });
    expect(verdictOf(503, '9999999', 200)).toEqual({ kind: 'retry', afterMs: 200 });
    expect(verdictOf(429, '60', 60_000)).toEqual({ kind: 'retry', afterMs: 60_000 });
  });

  it('1xx and other odd codes: refused', () => {
    for (const status of [100, 101, 199]) expect(verdictOf(status, null, MAX)).toEqual({ kind: 'refused' });
  });
});

describe('statusWebhookBodyOf', () => {
  it('lays the change out as Standard Webhooks does: type, timestamp, data', () => {
    expect(statusWebhookBodyOf(aChange())).toEqual({
      type: 'reservation.paid',
      timestamp: '2030-05-01T08:30:00.123Z',
      data: {
        reservation_code: 'K7M2Q9XD',
        status: 'PAID',
        previous_status: 'PAYMENT_IN_PROGRESS',
        progress: { code: 'issued', payment: 'succeeded', supplier: 'pending' },
        changed_at: '2030-05-01T08:30:00.123Z',
      },
    });
  });

  it('names every status in lower case, and a first change has no previous status', () => {
    for (const status of Object.values(ReservationStatus)) {
      expect(statusWebhookBodyOf(aChange({ status })).type).toBe(`reservation.${status.toLowerCase()}`);
    }
    expect(
      statusWebhookBodyOf(aChange({ status: ReservationStatus.CREATED, previousStatus: null })).data
        .previous_status,
    ).toBeNull();
    expect(statusWebhookBodyOf(aChange({ status: ReservationStatus.SUPPLIER_CONFIRMED })).type).toBe(
      'reservation.supplier_confirmed',
    );
  });

  it('says only the status: no booking details, no money, no supplier reference (and the change holds no personal data)', () => {
    const body = statusWebhookBodyOf(aChange({ supplierConfirmation: 'HZ-CONF-991' }));
    expect(Object.keys(body.data).sort()).toEqual([
      'changed_at',
      'previous_status',
      'progress',
      'reservation_code',
      'status',
    ]);
    const text = JSON.stringify(body);
    for (const absent of [
      'HZ-CONF-991',
      '18950',
      'MAD-T4',
      'HERTZ',
      'evt_K7M2Q9XD_42',
      '@',
      'email',
      'phone',
      'name',
    ]) {
      expect(text).not.toContain(absent);
    }
  });

  it('is the same for the same change: a retry sends the same bytes', () => {
    expect(JSON.stringify(statusWebhookBodyOf(aChange()))).toBe(
      JSON.stringify(statusWebhookBodyOf(aChange())),
    );
  });
});
