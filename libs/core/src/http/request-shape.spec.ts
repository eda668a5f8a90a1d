import { MAX_JSON_DEPTH, nestsDeeperThan, silentlyDroppedKeyPaths } from './request-shape';

describe('request shape', () => {
  it('measures nesting without recursion: the body is level 1', () => {
    expect(nestsDeeperThan({ a: 1 }, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [1] }, 1)).toBe(true);
    expect(nestsDeeperThan('text', 0)).toBe(false);
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(nestsDeeperThan(deep, MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(JSON.parse(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`), MAX_JSON_DEPTH)).toBe(false);
  });

  it('finds the own __proto__ and constructor keys JSON.parse makes, at any depth, with their paths', () => {
    const body = JSON.parse('{"__proto__":{"x":1},"customer":{"constructor":{},"name":"Ana"},"items":[{"__proto__":null}],"prototype":1}');
    expect(silentlyDroppedKeyPaths(body)).toEqual(['__proto__', 'customer.constructor', 'items.0.__proto__']);
    expect(silentlyDroppedKeyPaths({ customer: { name: 'Ana' } })).toEqual([]);
  });
});
