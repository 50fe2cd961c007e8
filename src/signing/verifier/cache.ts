/** Bounds of a TTL + LRU cache. */
export type TtlLruOptions = {
  /** Entries kept at most; the least recently used goes first. */
  readonly maxEntries: number;
  /** How long an entry stays valid after it was stored, in milliseconds. */
  readonly ttlMs: number;
  /** The clock, in milliseconds; tests move it. */
  readonly now: () => number;
};

type Slot<V> = { readonly value: V; readonly expiresAt: number };

/**
 * A size-bounded map whose entries expire: `get` refreshes recency (LRU order is the Map's
 * insertion order, re-inserted on each hit) and drops an expired entry it finds. Each `set`
 * may give a shorter lifetime (negative results). No timers: expiry is checked on access, so
 * the cache holds no event-loop handle and costs nothing while idle.
 */
export class TtlLruCache<K, V> {
  private readonly slots = new Map<K, Slot<V>>();
  private readonly opts: TtlLruOptions;

  constructor(opts: TtlLruOptions) {
    this.opts = opts;
  }

  get size(): number {
    return this.slots.size;
  }

  /** The live value for `key`, now the most recently used; undefined when absent or expired. */
  get(key: K): V | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    this.slots.delete(key);
    if (slot.expiresAt <= this.opts.now()) return undefined;
    this.slots.set(key, slot);
    return slot.value;
  }

  /** Stores `value` for `ttlMs` (default the cache's TTL, never longer), evicting the LRU entries beyond the bound. */
  set(key: K, value: V, ttlMs = this.opts.ttlMs): void {
    this.slots.delete(key);
    this.slots.set(key, { value, expiresAt: this.opts.now() + Math.min(ttlMs, this.opts.ttlMs) });
    for (const oldest of this.slots.keys()) {
      if (this.slots.size <= this.opts.maxEntries) break;
      this.slots.delete(oldest);
    }
  }

  delete(key: K): boolean {
    return this.slots.delete(key);
  }

  clear(): void {
    this.slots.clear();
  }
}
