import { InvalidEnvironmentError, parseEnvironment } from './environment';

describe('environment', () => {
  it('accepts an empty environment: every variable has a default', () => {
    expect(() => parseEnvironment({})).not.toThrow();
  });

  it('converts numbers and booleans', () => {
    const env = parseEnvironment({ PORT: '8080', DATABASE_MIGRATE_ON_START: 'false', DATABASE_SEED_ON_START: '1' });
    expect(env.PORT).toBe(8080);
    expect(env.DATABASE_MIGRATE_ON_START).toBe(false);
    expect(env.DATABASE_SEED_ON_START).toBe(true);
  });

  it('names every bad variable and what was expected', () => {
    let error: unknown;
    try {
      parseEnvironment({ PORT: 'eighty', DATABASE_URL: 'postgres://x', LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    const message = (error as Error).message;
    expect(message).toContain('PORT="eighty"');
    expect(message).toContain('DATABASE_URL="postgres://x": must start with mysql://, mariadb:// or sqlite:');
    expect(message).toContain('LOG_LEVEL="loud"');
  });

  it('reads lane concurrencies as lane=number pairs, and refuses anything else', () => {
    expect(parseEnvironment({ OUTBOX_LANE_CONCURRENCY: 'bookings=32, mail=4' }).OUTBOX_LANE_CONCURRENCY).toBe('bookings=32, mail=4');
    for (const bad of ['bookings', 'bookings=0', 'Mail=4', 'mail=4;receipts=2', 'mail=1000']) {
      expect(() => parseEnvironment({ OUTBOX_LANE_CONCURRENCY: bad })).toThrow(/OUTBOX_LANE_CONCURRENCY=.*lane=concurrency pairs/);
    }
    expect(() => parseEnvironment({ RECEIPT_PDF_THREADS: '65' })).toThrow(/RECEIPT_PDF_THREADS/);
    expect(parseEnvironment({ RECEIPT_PDF_THREADS: '0' }).RECEIPT_PDF_THREADS).toBe(0);
  });

  describe('payment capture (PAYMENT_CAPTURE, PAYMENT_CAPTURE_MARGIN_HOURS, PAYMENT_CAPTURE_DEADLINE_POLICY)', () => {
    it('accepts each mode and policy, and a margin from 1 to 167 hours', () => {
      for (const mode of ['immediate', 'after_supplier_confirmation']) expect(parseEnvironment({ PAYMENT_CAPTURE: mode }).PAYMENT_CAPTURE).toBe(mode);
      for (const policy of ['capture', 'release']) {
        expect(parseEnvironment({ PAYMENT_CAPTURE_DEADLINE_POLICY: policy }).PAYMENT_CAPTURE_DEADLINE_POLICY).toBe(policy);
      }
      expect(parseEnvironment({ PAYMENT_CAPTURE_MARGIN_HOURS: '1' }).PAYMENT_CAPTURE_MARGIN_HOURS).toBe(1);
      expect(parseEnvironment({ PAYMENT_CAPTURE_MARGIN_HOURS: '167' }).PAYMENT_CAPTURE_MARGIN_HOURS).toBe(167);
      // Unset (or empty, as `NAME=` in a .env file): the defaults apply (paymentsConfig).
      expect(parseEnvironment({ PAYMENT_CAPTURE: '', PAYMENT_CAPTURE_MARGIN_HOURS: '', PAYMENT_CAPTURE_DEADLINE_POLICY: '' })).toMatchObject({
        PAYMENT_CAPTURE: undefined,
        PAYMENT_CAPTURE_MARGIN_HOURS: undefined,
        PAYMENT_CAPTURE_DEADLINE_POLICY: undefined,
      });
    });

    it('refuses another mode or policy, naming the variable, the value and the values it takes', () => {
      expect(() => parseEnvironment({ PAYMENT_CAPTURE: 'manual' })).toThrow(
        'PAYMENT_CAPTURE="manual": PAYMENT_CAPTURE must be one of the following values: immediate, after_supplier_confirmation',
      );
      expect(() => parseEnvironment({ PAYMENT_CAPTURE: 'Immediate' })).toThrow(InvalidEnvironmentError);
      expect(() => parseEnvironment({ PAYMENT_CAPTURE_DEADLINE_POLICY: 'refund' })).toThrow(
        'PAYMENT_CAPTURE_DEADLINE_POLICY="refund": PAYMENT_CAPTURE_DEADLINE_POLICY must be one of the following values: capture, release',
      );
    });

    const refusal = (value: string): string => {
      try {
        parseEnvironment({ PAYMENT_CAPTURE_MARGIN_HOURS: value });
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidEnvironmentError);
        return (error as Error).message;
      }
      throw new Error(`PAYMENT_CAPTURE_MARGIN_HOURS=${value} was accepted`);
    };

    it('refuses a margin that is not a whole number of hours from 1 to 167 (Stripe holds a card payment 7 days)', () => {
      expect(refusal('0')).toContain('PAYMENT_CAPTURE_MARGIN_HOURS="0": PAYMENT_CAPTURE_MARGIN_HOURS must not be less than 1');
      expect(refusal('168')).toContain('PAYMENT_CAPTURE_MARGIN_HOURS="168": PAYMENT_CAPTURE_MARGIN_HOURS must not be greater than 167');
      expect(refusal('12h')).toContain('PAYMENT_CAPTURE_MARGIN_HOURS="12h": PAYMENT_CAPTURE_MARGIN_HOURS must be an integer number');
      expect(refusal('1.5')).toContain('PAYMENT_CAPTURE_MARGIN_HOURS="1.5": PAYMENT_CAPTURE_MARGIN_HOURS must be an integer number');
    });
  });

  describe('never echoes a secret', () => {
    const messageOf = (raw: Record<string, string>): string => {
      try {
        parseEnvironment(raw);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidEnvironmentError);
        return (error as Error).message;
      }
      throw new Error('expected the environment to be refused');
    };

    it('names a bad token or key and its rule, without its value', () => {
      const secrets: Record<string, string> = {
        ADMIN_API_TOKEN: 'short secret',
        METRICS_TOKEN: 'metrics secret!',
        STRIPE_SECRET_KEY: 'pk_live_notasecretkey_hunter2',
        STRIPE_WEBHOOK_SECRET: 'whsec x',
      };
      const message = messageOf(secrets);
      for (const [name, value] of Object.entries(secrets)) {
        expect(message).toContain(`${name} (value not shown: it is a secret): must`);
        expect(message).not.toContain(value);
      }
      expect(message).toContain('STRIPE_SECRET_KEY (value not shown: it is a secret): must be a Stripe secret key (sk_… or rk_…)');
    });

    it('masks the credentials of a bad URL, and keeps the rest to help find the mistake', () => {
      const message = messageOf({
        DATABASE_URL: 'postgres://ana:hunter2@db.internal:5432/reservations?sslpassword=s3cret',
        REDIS_URL: 'http://:r3dis-pass@cache.internal:6379',
        SMTP_URL: 'imap://mailer:smtp-pass@mail.example.com',
        SUPPLIER_HERTZ_URL: 'ftp://ota-token@ota.hertz.example',
      });
      expect(message).toContain('DATABASE_URL="postgres://ana:***@db.internal:5432/reservations?***": must start with mysql://');
      expect(message).toContain('REDIS_URL="http://:***@cache.internal:6379/": must be a Redis URL');
      expect(message).toContain('SMTP_URL="imap://mailer:***@mail.example.com": must be an SMTP URL');
      expect(message).toContain('SUPPLIER_HERTZ_URL="ftp://***@ota.hertz.example/": must be a base URL');
      for (const secret of ['hunter2', 's3cret', 'r3dis-pass', 'smtp-pass', 'ota-token']) expect(message).not.toContain(secret);
    });

    it('shows no part of a URL it cannot read, since it may still hold credentials', () => {
      const message = messageOf({ DATABASE_URL: 'mysql//root:hunter2@db/reservations', SMTP_URL: 'mail.example.com mailer:smtp-pass' });
      expect(message).toContain('DATABASE_URL (value not shown: not a URL, and it may hold credentials): must start with');
      expect(message).toContain('SMTP_URL (value not shown: not a URL, and it may hold credentials): must be an SMTP URL');
      expect(message).not.toMatch(/hunter2|smtp-pass/);
    });

    it('masks credentials that turn up in any other variable', () => {
      const message = messageOf({ TRUST_PROXY: 'https://admin:hunter2@proxy.internal' });
      expect(message).toContain('TRUST_PROXY="https://admin:***@proxy.internal/": must be true, false');
      expect(message).not.toContain('hunter2');
    });

    it('still shows plain values, which are not secrets', () => {
      expect(messageOf({ LOG_LEVEL: 'loud', PORT: '70000' })).toMatch(/LOG_LEVEL="loud"[\s\S]*PORT="70000"|PORT="70000"[\s\S]*LOG_LEVEL="loud"/);
    });
  });
});
