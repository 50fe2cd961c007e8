// The layer cache: one file per (layer diffID, reader format, caller's key) holding what reading
// that layer produced (every tar header in order, the content kept, the summaries), so a later
// read of the same or a related image merges the layer from it without decompressing anything.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { defaultCacheDir, writeFileAtomic, type Digest } from '../../core/index.js';
import type { TarHeader } from './scan.js';

/**
 * Version of what the reader stores per layer; part of every file name, so a reader that
 * processes layers differently never sees another version's files.
 */
export const LAYER_CACHE_FORMAT = 1;

/** 2 GiB. */
export const DEFAULT_LAYER_CACHE_BYTES = 2 * 1024 ** 3;

const MAGIC = Buffer.from('PCLAYER\n', 'latin1');
const CHECKSUM_BYTES = 32;
const SUFFIX = '.layer';
// Temporary files left by a crashed writer are removed by pruning once they are this old.
const STALE_TEMP_MS = 60 * 60 * 1000;

/** What one regular-file entry of a layer left behind when the layer was read. */
export type CachedData = {
  /** The bytes that were kept (wanted, or fetched later as a symlink or hard-link target). */
  readonly content: Buffer | undefined;
  /** Whether the summarize reducer ran on the file (its result may still be undefined). */
  readonly summarized: boolean;
  /** The summary codec's encoding of the reducer's result: JSON data, or undefined. */
  readonly summary: unknown;
  /** The warning that replaced the summary when the reducer threw. */
  readonly warning: string | undefined;
};

/** The processed form of one layer: enough to merge it again exactly as reading it did. */
export type CachedLayer = {
  /** Bytes of the uncompressed tar (counted against maxDecompressedBytes on every read). */
  readonly bytes: number;
  /** Every tar entry's header, in tar order; the index is the entry's ordinal. */
  readonly headers: readonly TarHeader[];
  /** By ordinal: the regular files whose content or summary was kept. */
  readonly data: ReadonlyMap<number, CachedData>;
};

/**
 * Encodes what `summarize` reducers return into JSON data and back. `encode` throws for a value
 * it cannot represent; the layer holding it is then simply not cached. `decode` gets the path
 * of the file the summary belongs to.
 */
export type SummaryCodec = {
  encode(summary: unknown): unknown;
  decode(data: unknown, path: string): unknown;
};

/** How a read uses a layer cache. */
export type LayerCacheUse = {
  readonly cache: LayerCache;
  /**
   * Fingerprint of what the read's `want` and `summarize` do (for instance the ids and versions
   * of the analyzers behind them): layers cached under another key are not used.
   */
  readonly key: string;
  /** For summaries that are not plain JSON data; `jsonSummaryCodec` when absent. */
  readonly codec?: SummaryCodec;
};

export type LayerCacheOptions = {
  /** Where the files go; `<defaultCacheDir()>/layers` when absent. */
  readonly dir?: string;
  /** Size cap of the directory: storing prunes the least recently used files beyond it. */
  readonly maxBytes?: number;
};

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null; // eslint-disable-line no-restricted-syntax -- Object.create(null) objects are plain too
}

/** Checks that `value` survives JSON unchanged (undefined object members are dropped). */
function checkJson(value: unknown, depth: number): void {
  if (depth > 100) throw new Error('summary nests too deeply to cache');
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new Error('summary holds a non-finite number');
      return;
    case 'object': {
      if (value === null) throw new Error('summary holds null'); // eslint-disable-line no-restricted-syntax -- JSON has null; we do not round-trip it
      if (Array.isArray(value)) {
        for (const item of value as unknown[]) {
          if (item === undefined) throw new Error('summary holds undefined in an array');
          checkJson(item, depth + 1);
        }
        return;
      }
      if (!isPlainObject(value)) throw new Error('summary holds an object that is not plain data');
      for (const item of Object.values(value)) if (item !== undefined) checkJson(item, depth + 1);
      return;
    }
    case 'undefined':
    case 'bigint':
    case 'symbol':
    case 'function':
      throw new Error(`summary holds a ${typeof value}`);
  }
}

/** Summaries that are plain JSON data (objects, arrays, strings, finite numbers, booleans). */
export const jsonSummaryCodec: SummaryCodec = {
  encode(summary) {
    checkJson(summary, 0);
    return summary;
  },
  decode(data) {
    return data;
  },
};

type HeaderRow = [
  string,
  string | undefined,
  number | undefined,
  number | undefined,
  number | undefined,
  number | undefined,
  number | undefined,
  string | undefined,
];
type DataRow = [number, number, 0 | 1, unknown, string | undefined];

type Meta = {
  readonly format: number;
  readonly diffID: string;
  readonly key: string;
  readonly bytes: number;
  readonly headers: HeaderRow[];
  readonly data: DataRow[];
};

function encodeHeader(h: TarHeader): HeaderRow {
  const mtime = h.mtime?.getTime();
  return [
    h.name,
    h.type,
    h.size,
    h.mode,
    h.uid,
    h.gid,
    mtime !== undefined && Number.isFinite(mtime) ? mtime : undefined,
    h.linkname,
  ];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function decodeHeader(row: unknown): TarHeader {
  if (!Array.isArray(row) || typeof row[0] !== 'string') throw new Error('bad header row');
  const r = row as unknown[];
  const mtime = num(r[6]);
  return {
    name: r[0] as string,
    type: str(r[1]),
    size: num(r[2]),
    mode: num(r[3]),
    uid: num(r[4]),
    gid: num(r[5]),
    mtime: mtime === undefined ? undefined : new Date(mtime),
    linkname: str(r[7]),
  };
}

/** The file's bytes: magic, meta length, meta JSON, contents, SHA-256 of all before it. */
export function encodeCachedLayer(diffID: Digest, key: string, layer: CachedLayer): Buffer {
  const blobs: Buffer[] = [];
  const data: DataRow[] = [];
  for (const [ordinal, d] of [...layer.data].sort((a, b) => a[0] - b[0])) {
    data.push([ordinal, d.content?.length ?? -1, d.summarized ? 1 : 0, d.summary, d.warning]);
    if (d.content !== undefined) blobs.push(d.content);
  }
  const meta: Meta = {
    format: LAYER_CACHE_FORMAT,
    diffID,
    key,
    bytes: layer.bytes,
    headers: layer.headers.map(encodeHeader),
    data,
  };
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  const body = Buffer.concat([MAGIC, length, json, ...blobs]);
  const sum = createHash('sha256').update(body).digest();
  return Buffer.concat([body, sum]);
}

/** Parses a cache file; undefined when it is corrupt, truncated or for another layer or key. */
export function decodeCachedLayer(file: Buffer, diffID: Digest, key: string): CachedLayer | undefined {
  const prefix = MAGIC.length + 4;
  if (file.length < prefix + CHECKSUM_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC))
    return undefined;
  const bodyEnd = file.length - CHECKSUM_BYTES;
  const sum = createHash('sha256').update(file.subarray(0, bodyEnd)).digest();
  if (!sum.equals(file.subarray(bodyEnd))) return undefined;
  const metaEnd = prefix + file.readUInt32BE(MAGIC.length);
  if (metaEnd > bodyEnd) return undefined;
  try {
    const meta = JSON.parse(file.subarray(prefix, metaEnd).toString('utf8')) as Partial<Meta>;
    if (meta.format !== LAYER_CACHE_FORMAT || meta.diffID !== diffID || meta.key !== key) return undefined;
    if (typeof meta.bytes !== 'number' || !Array.isArray(meta.headers) || !Array.isArray(meta.data))
      return undefined;
    const headers = meta.headers.map(decodeHeader);
    const data = new Map<number, CachedData>();
    let offset = metaEnd;
    for (const row of meta.data as unknown[]) {
      if (!Array.isArray(row)) return undefined;
      const r = row as unknown[];
      const ordinal = num(r[0]);
      const length = num(r[1]);
      if (ordinal === undefined || length === undefined || ordinal < 0 || ordinal >= headers.length)
        return undefined;
      let content: Buffer | undefined;
      if (length >= 0) {
        if (offset + length > bodyEnd) return undefined;
        content = file.subarray(offset, offset + length);
        offset += length;
      }
      const summary = r[3];
      data.set(ordinal, {
        content,
        summarized: r[2] === 1,
        // JSON turns an undefined summary into null; the reader never stores null.
        summary: summary === null ? undefined : summary, // eslint-disable-line no-restricted-syntax -- JSON null
        warning: str(r[4]),
      });
    }
    if (offset !== bodyEnd) return undefined;
    return { bytes: meta.bytes, headers, data };
  } catch {
    return undefined;
  }
}

type CacheFile = { readonly file: string; readonly size: number; readonly mtimeMs: number };

/**
 * Processed layers on disk, one file each, written atomically and verified by a checksum when
 * loaded; a file that does not verify is ignored (and replaced by the next read of its layer).
 * Loading a file marks it used; storing prunes the least recently used files beyond `maxBytes`.
 */
export class LayerCache {
  readonly dir: string;
  readonly maxBytes: number;

  constructor(options: LayerCacheOptions = {}) {
    this.dir = options.dir ?? path.join(defaultCacheDir(), 'layers');
    this.maxBytes = options.maxBytes ?? DEFAULT_LAYER_CACHE_BYTES;
  }

  /** The file that holds `diffID` processed under `key`. */
  fileFor(diffID: Digest, key: string): string {
    const name = createHash('sha256').update(`${LAYER_CACHE_FORMAT}\0${diffID}\0${key}`).digest('hex');
    return path.join(this.dir, `${name}${SUFFIX}`);
  }

  /** The cached form of the layer, or undefined when absent or unusable. Never throws. */
  async load(diffID: Digest, key: string): Promise<CachedLayer | undefined> {
    const file = this.fileFor(diffID, key);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      return undefined;
    }
    const layer = decodeCachedLayer(bytes, diffID, key);
    if (layer === undefined) {
      await rm(file, { force: true }).catch(() => undefined);
      return undefined;
    }
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
    return layer;
  }

  /**
   * Writes the layer's processed form, then prunes.
   *
   * @throws CoreError IO_FAILED when the file cannot be written.
   */
  async store(diffID: Digest, key: string, layer: CachedLayer): Promise<void> {
    await writeFileAtomic(this.fileFor(diffID, key), encodeCachedLayer(diffID, key, layer));
    await this.prune();
  }

  /** Bytes the cache files take. */
  async size(): Promise<number> {
    return (await this.files()).reduce((sum, f) => sum + f.size, 0);
  }

  /**
   * Removes the least recently used files until the rest fit in `maxBytes`, and temporary files
   * a crashed writer left behind. Returns the number of files removed.
   */
  async prune(maxBytes = this.maxBytes): Promise<number> {
    const files = await this.files();
    let removed = 0;
    let total = files.reduce((sum, f) => sum + f.size, 0);
    for (const f of files.sort((a, b) => a.mtimeMs - b.mtimeMs)) {
      if (total <= maxBytes) break;
      await rm(f.file, { force: true });
      total -= f.size;
      removed++;
    }
    return removed;
  }

  private async files(): Promise<CacheFile[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: CacheFile[] = [];
    const now = Date.now();
    for (const name of names) {
      const file = path.join(this.dir, name);
      const st = await stat(file).catch(() => undefined);
      if (st === undefined || !st.isFile()) continue;
      if (name.startsWith('.tmp-')) {
        if (now - st.mtimeMs > STALE_TEMP_MS) await rm(file, { force: true });
        continue;
      }
      // Everything in the directory counts toward the cap: layers, and what callers keep beside
      // them keyed by layers (the inventory's per-image files).
      out.push({ file, size: st.size, mtimeMs: st.mtimeMs });
    }
    return out;
  }
}
