import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { InvalidEnvironmentError, parseEnvironment } from '@app/core';
import { lifecycleEventsConfig } from './lifecycle-events.config';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const VARIABLES = [
  'STATUS_WEBHOOK_URL',
  'STATUS_WEBHOOK_SECRET',
  'STATUS_WEBHOOK_TIMEOUT_MS',
  'EVENTS_NATS_URL',
];

/** Runs the config factory on an environment of only these lifecycle variables (the rest as the tests set it). */
function configWith(env: Record<string, string>) {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  try {
    return lifecycleEventsConfig();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

const errorOf = (env: Record<string, string>): Error => {
  try {
    configWith(env);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the configuration was accepted');
};

describe('lifecycle events configuration: the status webhook', () => {
  it('is off, and so queues nothing, while STATUS_WEBHOOK_URL is unset (a secret alone does not turn it on)', () => {
    expect(configWith({}).webhook).toBeNull();
    expect(configWith({ STATUS_WEBHOOK_SECRET: SECRET }).webhook).toBeNull();
    // `NAME=` means not set.
    expect(configWith({ STATUS_WEBHOOK_URL: '', STATUS_WEBHOOK_SECRET: '' }).webhook).toBeNull();
  });

  it('is on with an absolute URL and a secret; the timeout defaults to 5000 ms', () => {
    expect(
      configWith({
        STATUS_WEBHOOK_URL: 'https://merchant.example/hooks/reservations',
        STATUS_WEBHOOK_SECRET: SECRET,
      }).webhook,
    ).toEqual({
      url: 'https://merchant.example/hooks/reservations',
      authorization: null,
      secret: SECRET,
      timeoutMs: 5000,
    });
    const local = configWith({
      STATUS_WEBHOOK_URL: 'http://127.0.0.1:8080/h',
      STATUS_WEBHOOK_SECRET: SECRET,
      STATUS_WEBHOOK_TIMEOUT_MS: '300',
    });
    expect(local.webhook).toMatchObject({ url: 'http://127.0.0.1:8080/h', timeoutMs: 300 });
  });

  it('sends the credentials of a URL with basic authentication in a header, never in the URL', () => {
    const webhook = configWith({
      STATUS_WEBHOOK_URL: 'https://merchant:p%40ss:word@merchant.example/hooks?x=1',
      STATUS_WEBHOOK_SECRET: SECRET,
    }).webhook;
    expect(webhook).toMatchObject({
      url: 'https://merchant.example/hooks?x=1',
      authorization: `Basic ${Buffer.from('merchant:p@ss:word').toString('base64')}`,
    });
  });

  it('refuses a URL without a secret, naming the variable, never the URL', () => {
    const error = errorOf({ STATUS_WEBHOOK_URL: 'https://merchant.example/hooks' });
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    expect(error.message).toMatch(/STATUS_WEBHOOK_SECRET: required with STATUS_WEBHOOK_URL/);
  });

  it('refuses a relative URL, or one that is not http(s)', () => {
    for (const url of [
      '/hooks/reservations',
      'hooks/reservations',
      'merchant.example/hooks',
      'ftp://merchant.example/hooks',
      'https://',
      'http:// spaced.example',
      'http://[::1',
      'http://exa mple.com',
    ]) {
      const error = errorOf({ STATUS_WEBHOOK_URL: url, STATUS_WEBHOOK_SECRET: SECRET });
      expect(error).toBeInstanceOf(InvalidEnvironmentError);
      expect(error.message).toContain('STATUS_WEBHOOK_URL');
      expect(error.message).toContain('must be an absolute http or https URL');
    }
  });

  it('refuses a secret that is not a Standard Webhooks one, and never shows it', () => {
    for (const secret of [
      'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'whsec_short',
      'whsec_has spaces in it and is long enough!!',
      `whsec_${'A'.repeat(89)}`,
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw===',
    ]) {
      const error = errorOf({
        STATUS_WEBHOOK_URL: 'https://merchant.example/hooks',
        STATUS_WEBHOOK_SECRET: secret,
      });
      expect(error).toBeInstanceOf(InvalidEnvironmentError);
      expect(error.message).toContain('STATUS_WEBHOOK_SECRET');
      expect(error.message).toContain('value not shown');
      expect(error.message).not.toContain(secret);
    }
    // 24 and 64 bytes in base64 are the bounds.
    expect(
      parseEnvironment({ STATUS_WEBHOOK_SECRET: `whsec_${Buffer.alloc(24, 7).toString('base64')}` })
        .STATUS_WEBHOOK_SECRET,
    ).toBeDefined();
    expect(
      parseEnvironment({ STATUS_WEBHOOK_SECRET: `whsec_${Buffer.alloc(64, 7).toString('base64')}` })
        .STATUS_WEBHOOK_SECRET,
    ).toBeDefined();
  });

  it('bounds the timeout: 100 ms to 60 s, whole milliseconds', () => {
    for (const timeout of ['99', '60001', '1.5', 'soon']) {
      expect(() => parseEnvironment({ STATUS_WEBHOOK_TIMEOUT_MS: timeout })).toThrow(
        /STATUS_WEBHOOK_TIMEOUT_MS/,
      );
    }
    expect(parseEnvironment({ STATUS_WEBHOOK_TIMEOUT_MS: '100' }).STATUS_WEBHOOK_TIMEOUT_MS).toBe(100);
    expect(parseEnvironment({ STATUS_WEBHOOK_TIMEOUT_MS: '60000' }).STATUS_WEBHOOK_TIMEOUT_MS).toBe(60_000);
  });

  it('a module that loads it refuses to start on a bad webhook configuration', async () => {
    const saved = { url: process.env.STATUS_WEBHOOK_URL, secret: process.env.STATUS_WEBHOOK_SECRET };
    process.env.STATUS_WEBHOOK_URL = 'https://merchant.example/hooks';
    delete process.env.STATUS_WEBHOOK_SECRET;
    try {
      await expect(
        Test.createTestingModule({ imports: [ConfigModule.forFeature(lifecycleEventsConfig)] }).compile(),
      ).rejects.toThrow(/STATUS_WEBHOOK_SECRET: required with STATUS_WEBHOOK_URL/);
      process.env.STATUS_WEBHOOK_SECRET = SECRET;
      process.env.STATUS_WEBHOOK_URL = '/hooks/reservations';
      await expect(
        Test.createTestingModule({ imports: [ConfigModule.forFeature(lifecycleEventsConfig)] }).compile(),
      ).rejects.toThrow(InvalidEnvironmentError);
    } finally {
      for (const [name, value] of [
        ['STATUS_WEBHOOK_URL', saved.url],
        ['STATUS_WEBHOOK_SECRET', saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('lifecycle events configuration: NATS', () => {
  it('is off without EVENTS_NATS_URL, and splits a list of servers', () => {
    expect(configWith({}).nats).toBeNull();
    expect(configWith({ EVENTS_NATS_URL: 'nats://a.example:4222,nats://b.example:4222' }).nats).toMatchObject(
      {
        servers: ['nats://a.example:4222', 'nats://b.example:4222'],
        stream: 'RESERVATIONS',
        subjectPrefix: 'reservations',
        source: 'urn:car-rental:reservations-api',
      },
    );
  });
});
