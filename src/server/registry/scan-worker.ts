import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import {
  errorMessage,
  resolveLimits,
  silentLogger,
  truncateForMessage,
  type Digest,
  type Limits,
  type Logger,
} from '../../core/index.js';
import { buildInventory, type BuildInventoryOptions, type Inventory } from '../../inventory/index.js';
import { isIndexMediaType } from '../../oci/index.js';
import type { BlobStore, MetadataStore, PushedManifest, RegistryHooks } from '../../registry/index.js';
import { matchInventory, type Finding } from '../../scan/index.js';
import { openVulnDb, VulnDbError, type VulnDb } from '../../vulndb/index.js';
import { LocalRegistryImageSource, readStoredBlob } from './local-image.js';
import { classifyManifest } from './scan-classify.js';
import { ScanWorkerError } from './scan-errors.js';
import type { ScanResultsReader, StoredScan } from './scan-results.js';
import {
  SqliteScanStore,
  type ScanChange,
  type ScanChangeQuery,
  type ScanJob,
  type ScanListQuery,
  type ScanSummary,
} from './scan-store.js';

/** How the scan-on-push worker runs. */
export type ScanWorkerOptions = {
  /** The registry's database (registry.db); the worker adds its `scan_` tables. The caller closes it. */
  readonly db: Database.Database;
  /** The registry's blob store: manifests, configs and layers are read from it by digest. */
  readonly blobs: BlobStore;
  /**
   * The vulnerability database file (what `portcullis db update` writes). It is opened read-only
   * for each scan and re-match, so a database replaced by an update is seen at once.
   */
  readonly vulnDbPath: string;
  /** Scans running at once (default 2). */
  readonly concurrency?: number | undefined;
  /**
   * Every this many milliseconds, check whether the vulnerability database changed and re-match
   * stored inventories when it did. Off when absent; `rematch()` and `checkDatabase()` do it on demand.
   */
  readonly checkIntervalMs?: number | undefined;
  /** Limits for reading images (manifest and config sizes, layer reader bounds). */
  readonly limits?: Partial<Limits> | undefined;
  /** Inventory layer cache and its key, as the CLI's scan uses them. */
  readonly inventory?: Pick<BuildInventoryOptions, 'layerCache' | 'cacheKey'> | undefined;
  readonly logger?: Logger | undefined;
  /** Told of each scan starting and finishing and of each re-match (metrics, tests). */
  readonly onEvent?: ((event: ScanWorkerEvent) => void) | undefined;
};

/** What the worker reports through `onEvent`. */
export type ScanWorkerEvent =
  | { readonly kind: 'started'; readonly digest: Digest; readonly running: number }
  | { readonly kind: 'finished'; readonly digest: Digest; readonly scan: StoredScan | undefined }
  | { readonly kind: 'rematched'; readonly result: RematchResult };

/** What a re-match did. */
export type RematchResult = {
  /** The vulnerability database version the inventories were matched against. */
  readonly dbVersion: string;
  /** Inventories matched again. */
  readonly rematched: number;
  /** Changes recorded (digests whose advisory ids changed). */
  readonly changes: readonly ScanChange[];
  /** Digests that had no findings and now have some. */
  readonly newlyAffected: readonly Digest[];
  /** Digests that had findings and now have none. */
  readonly resolved: readonly Digest[];
};

/** Counters for metrics and the management API. */
export type ScanWorkerStats = {
  readonly queued: number;
  readonly running: number;
  readonly scanned: number;
  readonly failed: number;
  readonly unsupported: number;
  readonly rematches: number;
};

/** How to close the worker. */
export type ScanWorkerCloseOptions = {
  /** Abort running scans (they stay queued and are resumed by the next worker) instead of waiting for them. */
  readonly abort?: boolean | undefined;
};

const REMATCH_PAGE = 50;

/**
 * How long `close({ abort: true })` waits for aborted scans to stop. A scan notices the abort
 * between reads; one blocked inside a read (a blob on a hung network mount, a FIFO where a blob
 * was) cannot, and must not hold the server's shutdown: it is left pending for the next worker.
 */
const ABORT_GRACE_MS = 2_000;

/** The version of a vulnerability database: when records were last imported into it. */
export function vulnDbVersion(db: VulnDb): string {
  return db.lastUpdate()?.toISOString() ?? 'empty';
}

function positiveInteger(name: string, value: number | undefined, fallback: number | undefined) {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ScanWorkerError(
      'SCAN_OPTIONS_INVALID',
      `${name} must be a positive whole number, got ${String(value)}`,
    );
  }
  return value;
}

function describe(err: unknown): string {
  return truncateForMessage(errorMessage(err), 500);
}

/**
 * Scan-on-push: `onManifestPushed` (a RegistryHooks entry) queues the pushed digest in SQLite;
 * up to `concurrency` scans run at once, each reading the image from the registry's blob store
 * (not through HTTP, so the pull gates never block it), building its inventory and matching it
 * against the vulnerability database. Results, inventories and the queue live in registry.db,
 * so work queued before a restart is resumed by `start()`. A digest scanned once is not scanned
 * again when pushed again; when the vulnerability database changes, stored inventories are
 * matched again without reading layers and what changed is recorded (`changesSince`).
 *
 * Lifecycle: construct (migrates the tables), wire `hooks()` into the registry server, `start()`
 * (resumes queued work, starts the periodic database check), `close()` before closing the
 * database handle.
 */
export class ScanWorker implements ScanResultsReader {
  readonly store: SqliteScanStore;
  readonly #blobs: BlobStore;
  readonly #vulnDbPath: string;
  readonly #concurrency: number;
  readonly #checkIntervalMs: number | undefined;
  readonly #limits: Limits;
  readonly #inventory: ScanWorkerOptions['inventory'];
  readonly #logger: Logger;
  readonly #onEvent: ScanWorkerOptions['onEvent'];
  readonly #queue: ScanJob[] = [];
  readonly #queued = new Set<Digest>();
  readonly #running = new Map<Digest, Promise<void>>();
  readonly #waiters = new Map<Digest, ((scan: StoredScan | undefined) => void)[]>();
  readonly #idle: (() => void)[] = [];
  readonly #closing = new AbortController();
  #started = false;
  #closed = false;
  /** Set when close stopped waiting for aborted scans still blocked in a read. */
  #detached = false;
  #timer: NodeJS.Timeout | undefined;
  #rematch: Promise<RematchResult> | undefined;
  #stats = { scanned: 0, failed: 0, unsupported: 0, rematches: 0 };

  /**
   * Migrates the scan tables; nothing runs until `start()`.
   * @throws ScanWorkerError SCAN_OPTIONS_INVALID, SCAN_STORE_INCOMPATIBLE.
   */
  constructor(options: ScanWorkerOptions) {
    this.#concurrency = positiveInteger('concurrency', options.concurrency, 2) ?? 2;
    this.#checkIntervalMs = positiveInteger('checkIntervalMs', options.checkIntervalMs, undefined);
    this.store = new SqliteScanStore(options.db);
    this.#blobs = options.blobs;
    this.#vulnDbPath = options.vulnDbPath;
    this.#limits = resolveLimits(options.limits);
    this.#inventory = options.inventory;
    this.#logger = options.logger ?? silentLogger;
    this.#onEvent = options.onEvent;
  }

  /**
   * The RegistryHooks entry: queues the pushed manifest (an index is recorded as unsupported at
   * once). Never throws and never waits: a failure to queue is logged.
   */
  readonly onManifestPushed = (event: PushedManifest): void => {
    try {
      this.enqueue(event.record.digest, event.repository, event.record.mediaType);
    } catch (err) {
      this.#logger.warn('cannot queue a scan', { digest: event.record.digest, error: describe(err) });
    }
  };

  /** The hooks to pass to the registry server (`hooks: { ...other, ...worker.hooks() }`). */
  hooks(): Pick<RegistryHooks, 'onManifestPushed'> {
    return { onManifestPushed: this.onManifestPushed };
  }

  /**
   * Queues a scan of `digest`, read from `repository`'s content. Returns false when the digest
   * is already known (queued, scanned or unsupported). After `close()` the job is stored for the
   * next worker but not run.
   */
  enqueue(digest: Digest, repository: string, mediaType?: string): boolean {
    const job = { digest, repository };
    if (isIndexMediaType(mediaType)) {
      const recorded = this.store.recordUnsupportedOnPush(
        job,
        'an index: its platform manifests are scanned on their own',
      );
      if (recorded) this.#stats.unsupported++;
      this.#notify(digest);
      return false;
    }
    if (!this.store.enqueue(job)) return false;
    // After close the job is only stored: a push that raced the shutdown is scanned by the next worker.
    if (!this.#closed) this.#push(job);
    return true;
  }

  /**
   * Queues every manifest the registry holds that the scanner does not know yet: images pushed
   * while scan-on-push was off or before it existed. Their repository is not known to the
   * metadata listing, so it is recorded as empty (content is read by digest either way).
   * Returns how many were queued or recorded (indexes are recorded as unsupported).
   */
  async backfill(metadata: Pick<MetadataStore, 'listManifests'>): Promise<number> {
    const { manifests } = await metadata.listManifests();
    let added = 0;
    for (const m of manifests) {
      if (this.store.scanOfSync(m.digest) !== undefined) continue;
      this.enqueue(m.digest, '', m.mediaType);
      added++;
    }
    return added;
  }

  /** Resumes the jobs queued in the database and starts the periodic database check. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    for (const job of this.store.pending()) this.#push(job);
    if (this.#checkIntervalMs !== undefined) {
      const check = (): void => {
        this.checkDatabase().catch((err: unknown) => {
          this.#logger.warn('vulnerability database check failed', { error: describe(err) });
        });
      };
      // The database may have been updated while the server was down.
      check();
      this.#timer = setInterval(check, this.#checkIntervalMs);
      this.#timer.unref();
    }
    this.#pump();
  }

  scanOf(digest: Digest): Promise<StoredScan | undefined> {
    return this.store.scanOf(digest);
  }

  /** Re-match changes, oldest first (see {@link SqliteScanStore.changesSince}). */
  changesSince(query: ScanChangeQuery = {}): ScanChange[] {
    return this.store.changesSince(query);
  }

  /** Stored scans without their findings (see {@link SqliteScanStore.listScans}). */
  listScans(query: ScanListQuery = {}): ScanSummary[] {
    return this.store.listScans(query);
  }

  /** The stored inventory of `digest`, when its image was read. */
  inventoryOf(digest: Digest): Inventory | undefined {
    return this.store.inventoryOf(digest);
  }

  /**
   * Resolves with the scan of `digest` once it is no longer pending (or at once when it is not),
   * or with the pending scan when the worker closes first.
   */
  settled(digest: Digest): Promise<StoredScan | undefined> {
    const scan = this.store.scanOfSync(digest);
    if (scan?.status !== 'pending' || this.#closed) return Promise.resolve(scan);
    return new Promise((resolve) => {
      const list = this.#waiters.get(digest) ?? [];
      list.push(resolve);
      this.#waiters.set(digest, list);
    });
  }

  /** Resolves when nothing is queued or running (at once after close). */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  stats(): ScanWorkerStats {
    return { queued: this.#queue.length, running: this.#running.size, ...this.#stats };
  }

  /**
   * Matches again, without reading layers, every stored inventory that was matched against
   * another database version than the current one (`all`: every stored inventory), and records
   * per digest the advisory ids added and removed. Concurrent calls share one run.
   * @throws VulnDbError when the vulnerability database cannot be opened.
   */
  rematch(options: { readonly all?: boolean } = {}): Promise<RematchResult> {
    if (this.#rematch !== undefined) return this.#rematch;
    const run = this.#runRematch(options.all === true).finally(() => {
      this.#rematch = undefined;
    });
    this.#rematch = run;
    return run;
  }

  /**
   * Re-matches when some stored inventory was matched against another database version than
   * the one on disk (after `portcullis db update`, or a database that appeared since). Undefined
   * when nothing is stale or there is no database yet.
   * @throws VulnDbError when the vulnerability database cannot be opened.
   */
  async checkDatabase(): Promise<RematchResult | undefined> {
    if (this.#closed) return undefined;
    let db: VulnDb;
    try {
      db = openVulnDb(this.#vulnDbPath, { readonly: true });
    } catch (err) {
      if (err instanceof VulnDbError && err.code === 'DB_NOT_FOUND') return undefined;
      throw err;
    }
    let stale: boolean;
    try {
      stale = this.store.hasStale(vulnDbVersion(db));
    } finally {
      db.close();
    }
    return stale ? this.rematch() : undefined;
  }

  /**
   * Stops taking work, then waits for running scans (or aborts them: they stay queued for the
   * next worker) and a running re-match. The database handle may be closed afterwards.
   */
  async close(options: ScanWorkerCloseOptions = {}): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#queue.length = 0;
    this.#queued.clear();
    if (options.abort === true) {
      this.#closing.abort(new Error('the scan worker was closed'));
      const rematch = this.#rematch === undefined ? [] : [this.#rematch];
      await this.#settleWithin([...this.#running.values(), ...rematch], ABORT_GRACE_MS);
    } else {
      await Promise.allSettled([...this.#running.values(), this.#rematch]);
    }
    for (const [digest, list] of this.#waiters) {
      const scan = this.store.scanOfSync(digest);
      for (const resolve of list) resolve(scan);
    }
    this.#waiters.clear();
    this.#checkIdle();
  }

  /** Waits for `work` to settle, at most `ms`; what is still running then is let go (and logged). */
  async #settleWithin(work: readonly Promise<unknown>[], ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => {
        resolve('expired');
      }, ms);
    });
    const outcome = await Promise.race([Promise.allSettled(work), expired]);
    clearTimeout(timer);
    if (outcome !== 'expired') return;
    // Their rows stay pending; once they stop they touch neither the store nor the waiters (the
    // caller may close the database handle as soon as this returns).
    this.#detached = true;
    this.#logger.warn('aborted scans did not stop in time; they stay queued for the next start', {
      digests: [...this.#running.keys()].slice(0, 10),
    });
  }

  #push(job: ScanJob): void {
    if (this.#queued.has(job.digest) || this.#running.has(job.digest)) return;
    this.#queue.push(job);
    this.#queued.add(job.digest);
    this.#pump();
  }

  #pump(): void {
    if (!this.#started || this.#closed) return;
    while (this.#running.size < this.#concurrency) {
      const job = this.#queue.shift();
      if (job === undefined) break;
      this.#queued.delete(job.digest);
      const run = this.#scan(job).finally(() => {
        this.#running.delete(job.digest);
        if (this.#detached) return;
        this.#onEvent?.({ kind: 'finished', digest: job.digest, scan: this.store.scanOfSync(job.digest) });
        this.#notify(job.digest);
        this.#pump();
        this.#checkIdle();
      });
      this.#running.set(job.digest, run);
      this.#onEvent?.({ kind: 'started', digest: job.digest, running: this.#running.size });
    }
  }

  #isIdle(): boolean {
    return this.#closed || (this.#queue.length === 0 && this.#running.size === 0);
  }

  #checkIdle(): void {
    if (!this.#isIdle()) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  #notify(digest: Digest): void {
    const list = this.#waiters.get(digest);
    if (list === undefined) return;
    const scan = this.store.scanOfSync(digest);
    if (scan?.status === 'pending') return;
    this.#waiters.delete(digest);
    for (const resolve of list) resolve(scan);
  }

  // One job: never rejects. An aborted scan leaves the row pending for the next worker.
  async #scan(job: ScanJob): Promise<void> {
    const signal = this.#closing.signal;
    const now = (): string => new Date().toISOString();
    let inventory: Inventory | undefined;
    try {
      // Let the pump start its other jobs before this one does synchronous work.
      await yieldToEventLoop();
      const manifest = await readStoredBlob(this.#blobs, job.digest, this.#limits.maxManifestBytes, {
        what: 'manifest',
      });
      const target = classifyManifest(manifest);
      if (target.kind === 'unsupported') {
        this.store.recordUnsupported(job.digest, target.reason, now());
        this.#stats.unsupported++;
        return;
      }
      const source = new LocalRegistryImageSource(this.#blobs, job.repository, job.digest, {
        limits: this.#limits,
      });
      try {
        const image = await source.open();
        inventory = await buildInventory(image, {
          ...this.#inventory,
          limits: this.#limits,
          logger: this.#logger,
          signal,
        });
      } finally {
        await source.close();
      }
      signal.throwIfAborted();
      const { findings, dbVersion } = this.#match(inventory);
      this.store.recordDone(job.digest, { inventory, findings, dbVersion, scannedAt: now() });
      this.#stats.scanned++;
      this.#logger.info('image scanned', {
        digest: job.digest,
        repository: job.repository,
        findings: findings.length,
        dbVersion,
      });
    } catch (err) {
      if (signal.aborted) {
        this.#logger.info('scan aborted; it stays queued', { digest: job.digest });
        return;
      }
      this.store.recordFailed(job.digest, describe(err), now(), inventory);
      this.#stats.failed++;
      this.#logger.warn('scan failed', {
        digest: job.digest,
        repository: job.repository,
        error: describe(err),
      });
    }
  }

  #match(inventory: Inventory): { findings: readonly Finding[]; dbVersion: string } {
    const db = openVulnDb(this.#vulnDbPath, { readonly: true });
    try {
      return { findings: matchInventory(inventory, db).findings, dbVersion: vulnDbVersion(db) };
    } finally {
      db.close();
    }
  }

  async #runRematch(all: boolean): Promise<RematchResult> {
    // One handle for the whole run: every inventory is matched against the same version even
    // if an update replaces the file meanwhile (the next check picks that up).
    const db = openVulnDb(this.#vulnDbPath, { readonly: true });
    const dbVersion = vulnDbVersion(db);
    const changes: ScanChange[] = [];
    let rematched = 0;
    try {
      let after = 0;
      for (;;) {
        if (this.#closed) break;
        const page = this.store.inventories(dbVersion, after, REMATCH_PAGE, all);
        for (const stored of page.rows) {
          const findings = matchInventory(stored.inventory, db).findings;
          const change = this.store.recordRematch(stored, findings, dbVersion, new Date().toISOString());
          rematched++;
          if (change !== undefined) changes.push(change);
          this.#notify(stored.digest);
        }
        if (page.rows.length < REMATCH_PAGE) break;
        after = page.next;
        // Matching is synchronous: let requests (and the pull gates) through between pages.
        await yieldToEventLoop();
      }
    } finally {
      db.close();
    }
    this.#stats.rematches++;
    const result: RematchResult = {
      dbVersion,
      rematched,
      changes,
      newlyAffected: changes.filter((c) => c.newlyAffected).map((c) => c.digest),
      resolved: changes.filter((c) => c.resolved).map((c) => c.digest),
    };
    this.#logger.info('stored inventories matched again', {
      dbVersion,
      rematched,
      changed: changes.length,
      newlyAffected: result.newlyAffected.length,
    });
    this.#onEvent?.({ kind: 'rematched', result });
    return result;
  }
}
