import pino from 'pino';
import pinoHttp from 'pino-http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
      req: {
        headers: { authorization: 'Bearer admin-token', 'stripe-signature': 't=1,v1=abc', host: 'api' },
      },
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
    expect(
      serializer({ id: '1', method: 'GET', url: '/api/v1/reservations/ABC?email=ana@example.com' }).url,
    ).toBe('/api/v1/reservations/ABC');
  });
});

describe('log lines', () => {
  it('name the service on every line: the access log, a line logged within a request and one outside any', async () => {
    const { lines, stream } = capture();
    const middleware = pinoHttp(pinoHttpOptions('info'), stream);
    const server = createServer((req, res) =>
      middleware(req, res, () => {
        req.log.info('inside the request');
        res.end('ok');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await fetch(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/reservations/K7M2Q9XD?email=ana@example.com`,
      );
      // The access line is written when the response finishes, which the client may see first.
      for (let i = 0; i < 100 && lines.length < 2; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    middleware.logger.info('outside any request');
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.map((line) => line.msg)).toEqual([
      'inside the request',
      'request completed',
      'outside any request',
    ]);
    for (const line of parsed)
      expect(line).toMatchObject({
        service: 'reservations-api',
        pid: process.pid,
        hostname: expect.any(String),
      });
    expect(parsed[0].req).toMatchObject({ method: 'GET', url: '/api/v1/reservations/K7M2Q9XD' });
    expect(JSON.stringify(parsed)).not.toContain('ana@example.com');
  });
});
