import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestHex, digestOf } from '../core/index.js';
import { BlobCache } from './cache.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function source(data: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += 4096) parts.push(data.subarray(i, i + 4096));
  return Readable.from(parts);
}

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-cache-test-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('BlobCache', () => {
  it('stores a verified blob under its digest and reads it back', async () => {
    const cache = new BlobCache({ dir });
    const data = randomBytes(20_000);
    const d = digestOf(data);
    const stored = await cache.put({ digest: d, size: data.length }, source(data));
    expect(stored).toBe(path.join(dir, 'sha256', digestHex(d)));
    expect(await cache.has(d)).toBe(true);
    expect(await cache.has(d, data.length)).toBe(true);
    const stream = await cache.open(d, data.length);
    expect(stream).toBeDefined();
    if (stream) expect((await readAll(stream)).equals(data)).toBe(true);
  });

  it('refuses content that does not match its digest, naming it, and leaves nothing behind', async () => {
    const cache = new BlobCache({ dir });
    const promised = randomBytes(50_000);
    const d = digestOf(promised);
    await expect(
      cache.put({ digest: d, size: promised.length }, source(randomBytes(50_000))),
    ).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: expect.stringContaining(d) as unknown,
    });
    expect(await cache.has(d)).toBe(false);
    expect(await readdir(path.join(dir, 'sha256'))).toEqual([]);
  });

  it('refuses content of the wrong size and leaves nothing behind', async () => {
    const cache = new BlobCache({ dir });
    const data = randomBytes(1000);
    const d = digestOf(data);
    await expect(cache.put({ digest: d, size: 999 }, source(data))).rejects.toMatchObject({
      code: 'SIZE_MISMATCH',
    });
    await expect(cache.put({ digest: d, size: 1001 }, source(data))).rejects.toMatchObject({
      code: 'SIZE_MISMATCH',
    });
    expect(await readdir(path.join(dir, 'sha256'))).toEqual([]);
  });

  it('passes on the error of a failing source and stores nothing', async () => {
    const cache = new BlobCache({ dir });
    const failing = new Readable({
      read() {
        this.destroy(new Error('connection lost'));
      },
    });
    await expect(cache.put({ digest: digestOf('x') }, failing)).rejects.toThrow(/connection lost/);
    expect(await readdir(path.join(dir, 'sha256'))).toEqual([]);
  });

  it('does not read the source again for a blob it already has', async () => {
    const cache = new BlobCache({ dir });
    const data = Buffer.from('cached once');
    const d = digestOf(data);
    await cache.put({ digest: d, size: data.length }, source(data));
    const again = source(data);
    await cache.put({ digest: d, size: data.length }, again);
    expect(again.destroyed).toBe(true);
  });

  it('treats a cached file of the wrong size as absent and removes it', async () => {
    const cache = new BlobCache({ dir });
    const data = randomBytes(5000);
    const d = digestOf(data);
    const file = await cache.put({ digest: d, size: data.length }, source(data));
    await truncate(file, 100);
    expect(await cache.open(d, data.length)).toBeUndefined();
    expect(await cache.has(d)).toBe(false);
  });

  it('answers undefined for a blob it does not have', async () => {
    expect(await new BlobCache({ dir }).open(digestOf('absent'))).toBeUndefined();
  });

  it('refuses names that are not digests, so nothing outside the cache is touched', () => {
    const cache = new BlobCache({ dir });
    expect(() => cache.path('sha256:../../../etc/passwd')).toThrow(
      expect.objectContaining({ code: 'CACHE_FAILED' }) as unknown,
    );
  });

  it('lives under the Portcullis cache directory by default', () => {
    const saved = process.env['PORTCULLIS_CACHE_DIR'];
    process.env['PORTCULLIS_CACHE_DIR'] = dir;
    try {
      const d = digestOf('x');
      expect(new BlobCache().path(d)).toBe(path.join(dir, 'blobs', 'sha256', digestHex(d)));
    } finally {
      if (saved === undefined) delete process.env['PORTCULLIS_CACHE_DIR'];
      else process.env['PORTCULLIS_CACHE_DIR'] = saved;
    }
  });

  it('prunes least-recently-used blobs beyond its size limit and stale temporary files', async () => {
    const roomy = new BlobCache({ dir });
    const blobs = [randomBytes(1000), randomBytes(1000), randomBytes(1000)];
    const files: string[] = [];
    for (const b of blobs) files.push(await roomy.put({ digest: digestOf(b), size: b.length }, source(b)));
    const cache = new BlobCache({ dir, maxBytes: 2500 });
    // Oldest first: blob 0 an hour ago, blob 1 half an hour ago, blob 2 now.
    const now = Date.now() / 1000;
    await utimes(files[0] ?? '', now - 3600, now - 3600);
    await utimes(files[1] ?? '', now - 1800, now - 1800);
    // Reading blob 0 makes it the most recently used.
    const s = await cache.open(digestOf(blobs[0] ?? Buffer.alloc(0)));
    if (s) await readAll(s);
    const stale = path.join(dir, 'sha256', '.tmp-abandoned');
    await writeFile(stale, 'partial');
    await utimes(stale, now - 7200, now - 7200);

    const result = await cache.prune();
    expect(result).toEqual({ removedFiles: 2, removedBytes: 1000 + 'partial'.length, keptBytes: 2000 });
    expect(await cache.has(digestOf(blobs[0] ?? Buffer.alloc(0)))).toBe(true);
    expect(await cache.has(digestOf(blobs[1] ?? Buffer.alloc(0)))).toBe(false);
    expect(await cache.has(digestOf(blobs[2] ?? Buffer.alloc(0)))).toBe(true);
    expect(await readFile(files[2] ?? '')).toEqual(blobs[2]);
  });

  it('keeps its size cap as blobs arrive, evicting the least recently used', async () => {
    const cache = new BlobCache({ dir, maxBytes: 2500 });
    const blobs = [randomBytes(1000), randomBytes(1000), randomBytes(1000)];
    const now = Date.now() / 1000;
    for (const [i, b] of blobs.entries()) {
      const file = await cache.put({ digest: digestOf(b), size: b.length }, source(b));
      // Distinct use times: blob 0 oldest.
      await utimes(file, now - 100 + i, now - 100 + i);
    }
    const kept = await Promise.all(blobs.map((b) => cache.has(digestOf(b))));
    expect(kept).toEqual([false, true, true]);
  });

  it('prunes an empty or missing cache without error', async () => {
    expect(await new BlobCache({ dir: path.join(dir, 'none') }).prune()).toEqual({
      removedFiles: 0,
      removedBytes: 0,
      keptBytes: 0,
    });
  });
});
