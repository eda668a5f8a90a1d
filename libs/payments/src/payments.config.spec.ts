import { InvalidEnvironmentError } from '@app/core';
import { paymentsConfig } from './payments.config';

/** The `payments` namespace as the app reads it at boot, from the process environment. */
describe('paymentsConfig: capture', () => {
  const NAMES = ['PAYMENT_CAPTURE', 'PAYMENT_CAPTURE_MARGIN_HOURS', 'PAYMENT_CAPTURE_DEADLINE_POLICY'] as const;
  const saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));
  const withEnv = (env: Partial<Record<(typeof NAMES)[number], string>>) => {
    for (const name of NAMES) delete process.env[name];
    Object.assign(process.env, env);
    return paymentsConfig();
  };
  afterEach(() => {
    for (const name of NAMES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('charges at once by default, with a 12-hour margin and the capture policy', () => {
    expect(withEnv({}).capture).toEqual({ mode: 'immediate', marginHours: 12, deadlinePolicy: 'capture' });
  });

  it('takes each variable as set', () => {
    expect(
      withEnv({
        PAYMENT_CAPTURE: 'after_supplier_confirmation',
        PAYMENT_CAPTURE_MARGIN_HOURS: '30',
        PAYMENT_CAPTURE_DEADLINE_POLICY: 'release',
      }).capture,
    ).toEqual({ mode: 'after_supplier_confirmation', marginHours: 30, deadlinePolicy: 'release' });
  });

  it('refuses a bad value at boot, naming it (the API exits with the configuration error)', () => {
    expect(() => withEnv({ PAYMENT_CAPTURE: 'later' })).toThrow(InvalidEnvironmentError);
    expect(() => withEnv({ PAYMENT_CAPTURE: 'later' })).toThrow(/PAYMENT_CAPTURE="later": PAYMENT_CAPTURE must be one of the following values/);
    expect(() => withEnv({ PAYMENT_CAPTURE_MARGIN_HOURS: '200' })).toThrow(/PAYMENT_CAPTURE_MARGIN_HOURS="200": .*greater than 167/);
    expect(() => withEnv({ PAYMENT_CAPTURE_DEADLINE_POLICY: 'wait' })).toThrow(/PAYMENT_CAPTURE_DEADLINE_POLICY="wait"/);
  });
});
