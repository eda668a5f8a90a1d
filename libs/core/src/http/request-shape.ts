import type { NextFunction, Request, Response } from 'express';
import { RequestTooDeepError } from '../errors';

/**
 * The deepest nesting of objects and arrays a JSON body may have (the body itself is level 1).
 * Our requests need 3 and Stripe's events about 8; thousands would overflow the stack of any
 * code that walks the body recursively (class-transformer, class-validator, a fingerprint).
 */
export const MAX_JSON_DEPTH = 32;

/** Keys class-transformer drops without a word, where every other unknown key is refused. */
const SILENTLY_DROPPED_KEYS = new Set(['__proto__', 'constructor']);

/** True when `value` nests objects or arrays more than `max` levels; iterative, so it cannot overflow. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}

/** Dotted paths of the own `__proto__` and `constructor` keys in `value`, at any depth (JSON.parse makes them own keys). */
export function silentlyDroppedKeyPaths(value: unknown): string[] {
  const found: string[] = [];
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [current, path] = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    for (const key of Object.keys(current)) {
      const field = path ? `${path}.${key}` : key;
      if (SILENTLY_DROPPED_KEYS.has(key)) found.push(field);
      else pending.push([(current as Record<string, unknown>)[key], field]);
    }
  }
  return found.sort();
}

/** Right after the JSON body parser: a body nested too deep is a 400 before anything walks it. */
export function refuseDeepJson(request: Request, _response: Response, next: NextFunction): void {
  next(nestsDeeperThan(request.body, MAX_JSON_DEPTH) ? new RequestTooDeepError(MAX_JSON_DEPTH) : undefined);
}
