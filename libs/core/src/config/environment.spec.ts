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
});
