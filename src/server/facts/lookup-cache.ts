import { TtlLruCache } from '../../signing/index.js';
import { FactSourceError } from './errors.js';

/** Bounds of one lookup cache. */
export type LookupCacheBounds = {
  /** Entries kept at most (least recently used dropped first). */
  readonly maxEntries?: number | undefined;
  /** How long an answer is reused, in milliseconds. */
  readonly ttlMs?: number | undefined;
};

/** Counters of one lookup cache, for metrics. */
export type LookupCacheStats = {
  readonly hits: number;
  readonly misses: number;
  /** Lookups that joined one already running for the same key. */
  readonly coalesced: number;
  /** Lookups that failed (failures are never cached). */
  readonly failures: number;
  /** Lookups running now, including those whose callers stopped waiting. */
  readonly running: number;
  readonly entries: number;
};

function positive(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new FactSourceError(
      'FACTS_OPTIONS_INVALID',
      `${name} must be a positive whole number, got ${String(v)}`,
    );
  }
  return v;
}

/**
 * A TTL + LRU cache of lookups whose concurrent identical calls share one run. A run outlives
 * the callers that gave up on it: it still fills the cache when it finishes, so that the API
 * server's retry of a timed-out admission request finds the answer. Failures are not kept.
 */
export class LookupCache<V> {
  private readonly cache: TtlLruCache<string, V>;
  private readonly running = new Map<string, Promise<V>>();
  private hits = 0;
  private misses = 0;
  private coalesced = 0;
  private failures = 0;

  /** @throws FactSourceError FACTS_OPTIONS_INVALID for bounds that are not positive whole numbers. */
  constructor(
    name: string,
    bounds: LookupCacheBounds,
    defaults: { readonly maxEntries: number; readonly ttlMs: number },
    now: () => number,
  ) {
    this.cache = new TtlLruCache<string, V>({
      maxEntries: positive(`${name}.maxEntries`, bounds.maxEntries ?? defaults.maxEntries),
      ttlMs: positive(`${name}.ttlMs`, bounds.ttlMs ?? defaults.ttlMs),
      now,
    });
  }

  /** The cached value for `key`, else the running lookup for it, else a new run of `load`. */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.hits++;
      return Promise.resolve(cached);
    }
    const pending = this.running.get(key);
    if (pending !== undefined) {
      this.coalesced++;
      return pending;
    }
    this.misses++;
    const run = (async () => {
      try {
        const value = await load();
        this.cache.set(key, value);
        return value;
      } catch (err) {
        this.failures++;
        throw err;
      } finally {
        this.running.delete(key);
      }
    })();
    this.running.set(key, run);
    return run;
  }

  /** Waits for every run still going (their results or failures are not reported). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  stats(): LookupCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      coalesced: this.coalesced,
      failures: this.failures,
      running: this.running.size,
      entries: this.cache.size,
    };
  }

  clear(): void {
    this.cache.clear();
  }
}
