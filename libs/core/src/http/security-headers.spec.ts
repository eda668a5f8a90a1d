import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { securityHeaders } from './security-headers';

function response(): ServerResponse {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  res.setHeader('X-Powered-By', 'Express');
  res.setHeader('X-Request-Id', 'r-1');
  return res;
}

describe('securityHeaders', () => {
  it('sets the headers helmet sets, in the same order, and removes what it removes', () => {
    const options = { strictTransportSecurity: false } as const;
    const byHelmet = response();
    helmet(options)(byHelmet.req, byHelmet, () => undefined);
    const replayed = response();
    let nextCalled = false;
    securityHeaders(options)(replayed.req, replayed, () => (nextCalled = true));
    expect(nextCalled).toBe(true);
    expect(Object.entries(replayed.getHeaders())).toEqual(Object.entries(byHelmet.getHeaders()));
    expect(replayed.getHeader('x-powered-by')).toBeUndefined();
    expect(replayed.getHeader('content-security-policy')).toContain("default-src 'self'");
  });
});
