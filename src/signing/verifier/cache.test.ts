import { describe, expect, it } from 'vitest';
import { TtlLruCache } from './cache.js';

type Step =
  | { readonly op: 'set'; readonly key: string; readonly ttlMs?: number }
  | { readonly op: 'get'; readonly key: string; readonly want: string | undefined }
  | { readonly op: 'advance'; readonly ms: number };

const cases: { name: string; maxEntries: number; ttlMs: number; steps: Step[] }[] = [
  {
    name: 'an entry lives until its TTL, then is gone',
    maxEntries: 10,
    ttlMs: 100,
    steps: [
      { op: 'set', key: 'a' },
      { op: 'advance', ms: 99 },
      { op: 'get', key: 'a', want: 'a' },
      { op: 'advance', ms: 1 },
      { op: 'get', key: 'a', want: undefined },
    ],
  },
  {
    name: 'a shorter per-entry TTL (negative results) expires first',
    maxEntries: 10,
    ttlMs: 100,
    steps: [
      { op: 'set', key: 'yes' },
      { op: 'set', key: 'no', ttlMs: 10 },
      { op: 'advance', ms: 10 },
      { op: 'get', key: 'no', want: undefined },
      { op: 'get', key: 'yes', want: 'yes' },
    ],
  },
  {
    name: 'a per-entry TTL never outlives the cache TTL',
    maxEntries: 10,
    ttlMs: 100,
    steps: [
      { op: 'set', key: 'a', ttlMs: 1000 },
      { op: 'advance', ms: 100 },
      { op: 'get', key: 'a', want: undefined },
    ],
  },
  {
    name: 'beyond maxEntries the least recently used goes, and a get counts as use',
    maxEntries: 2,
    ttlMs: 100,
    steps: [
      { op: 'set', key: 'a' },
      { op: 'set', key: 'b' },
      { op: 'get', key: 'a', want: 'a' },
      { op: 'set', key: 'c' },
      { op: 'get', key: 'b', want: undefined },
      { op: 'get', key: 'a', want: 'a' },
      { op: 'get', key: 'c', want: 'c' },
    ],
  },
  {
    name: 'setting a key again renews its lifetime and recency',
    maxEntries: 2,
    ttlMs: 100,
    steps: [
      { op: 'set', key: 'a' },
      { op: 'set', key: 'b' },
      { op: 'advance', ms: 60 },
      { op: 'set', key: 'a' },
      { op: 'set', key: 'c' },
      { op: 'get', key: 'b', want: undefined },
      { op: 'advance', ms: 60 },
      { op: 'get', key: 'a', want: 'a' },
    ],
  },
];

describe('TtlLruCache', () => {
  it.each(cases)('$name', ({ maxEntries, ttlMs, steps }) => {
    let t = 1000;
    const cache = new TtlLruCache<string, string>({ maxEntries, ttlMs, now: () => t });
    for (const step of steps) {
      if (step.op === 'set') cache.set(step.key, step.key, step.ttlMs);
      else if (step.op === 'advance') t += step.ms;
      else expect(cache.get(step.key), `get ${step.key} at +${t - 1000} ms`).toBe(step.want);
    }
    expect(cache.size).toBeLessThanOrEqual(maxEntries);
  });

  it('an expired entry found by get is dropped, so it no longer counts against the bound', () => {
    let t = 0;
    const cache = new TtlLruCache<string, number>({ maxEntries: 5, ttlMs: 10, now: () => t });
    cache.set('a', 1);
    t = 10;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
