import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A configured bearer token, checked in constant time: both sides are hashed first, so that
 * not even the length leaks through timing.
 */
export class BearerToken {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  /** True for `Bearer <the token>` (scheme in any case), false for anything else. */
  matches(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    return !!match && timingSafeEqual(digest(match[1]), this.expected);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
