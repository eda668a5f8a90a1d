import pino from 'pino';
import { Writable } from 'node:stream';
import { pinoHttpOptions, REDACTED_PATHS } from './logging.module';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('log redaction', () => {
  it('hides personal data and secrets wherever they sit in a logged object', () => {
    const { lines, stream } = capture();
    const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream);
    logger.info({
      req: { headers: { authorization: 'Bearer admin-token', 'stripe-signature': 't=1,v1=abc', host: 'api' } },
      customer: { first_name: 'Ana', email: 'ana@example.com' },
      body: { customer: { phone: '+34600111222', last_name: 'Pérez' }, email: 'ana@example.com' },
      email: 'ana@example.com',
    });
    const line = lines.join('');
    for (const secret of ['admin-token', 't=1,v1=abc', 'ana@example.com', '+34600111222', 'Pérez', '"Ana"']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('"host":"api"');
    expect(line).toContain('[redacted]');
  });

  it('logs request paths without their query strings (they carry e-mails)', () => {
    const serializer = pinoHttpOptions('info').serializers!.req as (request: object) => { url: string };
    expect(serializer({ id: '1', method: 'GET', url: '/api/v1/reservations/ABC?email=ana@example.com' }).url).toBe(
      '/api/v1/reservations/ABC',
    );
  });
});
