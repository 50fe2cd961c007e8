// The layer cache: a warm read merges cached layers exactly as a cold read merges the layers
// themselves, opening only the layers that are not cached.
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../core/index.js';
import type { Image, LayeredImage } from '../image.js';
import { openImageSource } from '../sources/index.js';
import {
  LayerCache,
  readImageFiles,
  type FileTree,
  type LayerCacheUse,
  type ReadFilesOptions,
} from './index.js';
import { debianFixture } from '../../testing/fixtures.js';
import { makeImage, makeTar } from '../../testing/layer-images.js';

const noRegistry = () => {
  throw new Error('this test reads local images only');
};

const { layout } = debianFixture();

async function openTag(tag: string): Promise<LayeredImage> {
  const source = await openImageSource(`oci:${layout}:${tag}`, { registry: noRegistry });
  const image = await source.open();
  await source.close();
  if (image.kind !== 'layered') throw new Error('expected a layered image');
  return image;
}

/** The image with every layer's open() counted. */
function counted(image: LayeredImage): { image: LayeredImage; opens: number[] } {
  const opens = image.layers.map(() => 0);
  return {
    opens,
    image: {
      ...image,
      layers: image.layers.map((l, i) => ({
        ...l,
        open: () => {
          opens[i] = (opens[i] ?? 0) + 1;
          return l.open();
        },
      })),
    },
  };
}

const WANTED =
  /^(var\/lib\/dpkg\/status|etc\/os-release|etc\/apt\/apt\.conf\.d\/.*|usr\/share\/doc\/[^/]+\/copyright)$/;

const options: ReadFilesOptions = {
  want: (p) => WANTED.test(p),
  summarize: (p, meta) => {
    if ((meta.mode & 0o111) === 0 || meta.size < 50_000) return undefined;
    if (p === 'usr/bin/dpkg') {
      return () => {
        throw new Error('refusing dpkg');
      };
    }
    return (content) => ({
      size: content.length,
      head: content.subarray(0, 4).toString('hex'),
      none: undefined,
    });
  },
};

/** Everything a caller can see of a tree. */
function snapshot(tree: FileTree) {
  const entries = tree.entries();
  const contents: [string, string][] = [];
  const summaries: [string, unknown][] = [];
  for (const e of entries) {
    const content = tree.readFile(e.path);
    if (content !== undefined) contents.push([e.path, content.toString('base64')]);
    const summary = tree.summary(e.path);
    if (summary !== undefined) summaries.push([e.path, summary]);
  }
  return { entries, contents, summaries, warnings: tree.warnings };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-layer-cache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function freshCache(name: string, maxBytes?: number): Promise<LayerCache> {
  const cacheDir = path.join(dir, name);
  await rm(cacheDir, { recursive: true, force: true });
  return new LayerCache(maxBytes === undefined ? { dir: cacheDir } : { dir: cacheDir, maxBytes });
}

async function read(image: Image, use: LayerCacheUse | undefined): Promise<FileTree> {
  return readImageFiles(image, use === undefined ? options : { ...options, layerCache: use });
}

describe('layer cache with the Debian 12 image', () => {
  it('gives a warm read the same tree as a cold one without opening any layer', async () => {
    const cache = await freshCache('same');
    const use = { cache, key: 'test/1' };
    const plain = snapshot(await read(await openTag('bookworm'), undefined));
    expect(plain.contents.length).toBeGreaterThan(3);
    expect(plain.summaries.length).toBeGreaterThan(3);
    expect(plain.warnings.some((w) => w.includes('refusing dpkg'))).toBe(true);

    const cold = counted(await openTag('bookworm'));
    expect(snapshot(await read(cold.image, use))).toEqual(plain);
    expect(cold.opens.every((n) => n >= 1)).toBe(true);
    expect((await readdir(cache.dir)).filter((n) => n.endsWith('.layer'))).toHaveLength(cold.opens.length);

    const warm = counted(await openTag('bookworm'));
    const tree = await read(warm.image, use);
    expect(warm.opens.every((n) => n === 0)).toBe(true);
    expect(snapshot(tree)).toEqual(plain);
    expect(tree.readFile('etc/os-release')?.toString()).toContain('VERSION_CODENAME=bookworm');
  });

  it('re-reads only the layers a related image does not share (whiteouts applied from the cache)', async () => {
    const cache = await freshCache('related');
    const use = { cache, key: 'test/1' };
    const base = await openTag('bookworm');
    await read(base, use);

    const whiteout = counted(await openTag('bookworm-whiteout'));
    const shared = whiteout.image.layers.map((l) => base.layers.some((b) => b.diffID === l.diffID));
    expect(shared[0]).toBe(true);
    expect(shared.some((s) => !s)).toBe(true);
    const tree = await read(whiteout.image, use);
    expect(whiteout.opens).toEqual(shared.map((s) => (s ? 0 : 1)));
    expect(snapshot(tree)).toEqual(snapshot(await read(await openTag('bookworm-whiteout'), undefined)));
    expect(tree.get('etc/issue.net')).toBeUndefined();
    expect(tree.get('usr/share/doc/apt')).toBeUndefined();

    // Now every layer of it is cached: the whiteouts come from the cache too.
    const again = counted(await openTag('bookworm-whiteout'));
    const warm = await read(again.image, use);
    expect(again.opens.every((n) => n === 0)).toBe(true);
    expect(snapshot(warm)).toEqual(snapshot(tree));
  });

  it('applies an opaque directory from the cache', async () => {
    const cache = await freshCache('opaque');
    const use = { cache, key: 'test/1' };
    await read(await openTag('bookworm-opaque'), use);
    const warm = counted(await openTag('bookworm-opaque'));
    const tree = await read(warm.image, use);
    expect(warm.opens.every((n) => n === 0)).toBe(true);
    const children = tree.entries().filter((e) => e.path.startsWith('etc/apt/apt.conf.d/'));
    expect(children.map((e) => e.path)).toEqual(['etc/apt/apt.conf.d/99portcullis']);
    expect(tree.readFile('etc/apt/apt.conf.d/99portcullis')?.toString()).toBe(
      'APT::Install-Recommends "false";\n',
    );
    expect(snapshot(tree)).toEqual(snapshot(await read(await openTag('bookworm-opaque'), undefined)));
  });

  it('ignores a corrupt cache file, reads that layer again and rewrites the file', async () => {
    const cache = await freshCache('corrupt');
    const use = { cache, key: 'test/1' };
    const image = await openTag('bookworm');
    const expected = snapshot(await read(image, use));
    const file = cache.fileFor(image.layers[0]?.diffID ?? ('' as Digest), 'test/1');
    const bytes = await readFile(file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await writeFile(file, bytes);

    const warm = counted(await openTag('bookworm'));
    expect(snapshot(await read(warm.image, use))).toEqual(expected);
    expect(warm.opens).toEqual(warm.opens.map((_, i) => (i === 0 ? 1 : 0)));
    expect((await readFile(file)).equals(bytes)).toBe(false);

    const truncated = await readFile(file);
    await writeFile(file, truncated.subarray(0, truncated.length - 100));
    const again = counted(await openTag('bookworm'));
    expect(snapshot(await read(again.image, use))).toEqual(expected);
    expect(again.opens[0]).toBe(1);
  });

  it('misses for another cache key', async () => {
    const cache = await freshCache('key');
    await read(await openTag('bookworm'), { cache, key: 'analyzers-a' });
    const other = counted(await openTag('bookworm'));
    await read(other.image, { cache, key: 'analyzers-b' });
    expect(other.opens.every((n) => n === 1)).toBe(true);
  });
});

describe('layer cache on small images', () => {
  it('reads a layer again when the cache lacks content the read wants', async () => {
    const cache = await freshCache('covers');
    const tar = await makeTar([
      { name: 'a', content: 'A' },
      { name: 'b', content: 'B' },
    ]);
    const use = { cache, key: 'same-key' };
    await readImageFiles(makeImage([{ tar }]).image, { want: (p) => p === 'a', layerCache: use });
    const { image, log } = makeImage([{ tar }]);
    const tree = await readImageFiles(image, { want: () => true, layerCache: use });
    expect(log.opens).toEqual([1]);
    expect(tree.readFile('b')?.toString()).toBe('B');
  });

  it('merges hard links, symlinks, whiteouts and opaque directories from the cache as a read does', async () => {
    const cache = await freshCache('parity');
    const lower = await makeTar([
      { name: 'usr/lib/os-release', content: 'ID=x\n' },
      { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      { name: 'data/big', content: 'big bytes', mode: 0o755 },
      { name: 'data/gone', content: 'gone' },
      { name: 'opq/old', content: 'old' },
      { name: '../escape', content: 'nope' },
    ]);
    const upper = await makeTar([
      { name: 'data/link', type: 'link', linkname: 'data/big' },
      { name: 'data/.wh.gone', content: '' },
      { name: 'opq/.wh..wh..opq', content: '' },
      { name: 'opq/new', content: 'new' },
      { name: 'data/.wh.', content: '' },
    ]);
    const opts: ReadFilesOptions = {
      want: (p) => p === 'etc/os-release' || p === 'data/link' || p.startsWith('opq/'),
      summarize: (p) =>
        p === 'data/big'
          ? (content) => ({ n: content.length })
          : () => {
              throw new Error(`no ${p}`);
            },
    };
    const plain = snapshot(await readImageFiles(makeImage([{ tar: lower }, { tar: upper }]).image, opts));
    expect(plain.warnings.length).toBeGreaterThan(2);
    const use = { cache, key: 'k' };
    // Only the lower layer cached first: a mix of cached and read layers.
    await readImageFiles(makeImage([{ tar: lower }]).image, { ...opts, layerCache: use });
    const mixed = makeImage([{ tar: lower }, { tar: upper }]);
    expect(snapshot(await readImageFiles(mixed.image, { ...opts, layerCache: use }))).toEqual(plain);
    // The wanted hard link needs data/big, which the lower layer only summarized: the second
    // pass fetches it (as a cold read's does) and the cache keeps it from then on.
    expect(mixed.log.opens).toEqual([1, 1]);
    const warm = makeImage([{ tar: lower }, { tar: upper }]);
    const tree = await readImageFiles(warm.image, { ...opts, layerCache: use });
    expect(warm.log.opens).toEqual([0, 0]);
    expect(snapshot(tree)).toEqual(plain);
    expect(tree.readFile('data/link')?.toString()).toBe('big bytes');
    expect(tree.summary('data/link')).toEqual({ n: 9 });
    expect(tree.get('data/gone')).toBeUndefined();
    expect(tree.get('opq/old')).toBeUndefined();
  });

  it('computes summaries the cache lacks in a second pass, and caches them too', async () => {
    const cache = await freshCache('summaries');
    const tar = await makeTar([
      { name: 'bin/a', content: 'aaa', mode: 0o755 },
      { name: 'etc/b', content: 'B' },
    ]);
    const use = { cache, key: 'same-key' };
    await readImageFiles(makeImage([{ tar }]).image, { want: (p) => p === 'etc/b', layerCache: use });
    const summarize = () => (content: Buffer) => ({ n: content.length });
    const second = makeImage([{ tar }]);
    const tree = await readImageFiles(second.image, { summarize, layerCache: use });
    expect(second.log.opens).toEqual([1]);
    expect(tree.summary('bin/a')).toEqual({ n: 3 });
    expect(tree.summary('etc/b')).toEqual({ n: 1 });
    const third = makeImage([{ tar }]);
    const again = await readImageFiles(third.image, {
      want: (p) => p === 'etc/b',
      summarize,
      layerCache: use,
    });
    expect(third.log.opens).toEqual([0]);
    expect(again.summary('bin/a')).toEqual({ n: 3 });
    expect(again.readFile('etc/b')?.toString()).toBe('B');
  });

  it('does not cache a layer whose summaries are not JSON data', async () => {
    const cache = await freshCache('codec');
    const tar = await makeTar([{ name: 'bin/x', content: 'x', mode: 0o755 }]);
    const summarize = () => () => new Map([['k', 1]]);
    await readImageFiles(makeImage([{ tar }]).image, { summarize, layerCache: { cache, key: 'k' } });
    expect(await cache.size()).toBe(0);

    const codec = {
      encode: (s: unknown) => [...(s as Map<string, number>)],
      decode: (d: unknown) => new Map(d as [string, number][]),
    };
    const use = { cache, key: 'k', codec };
    await readImageFiles(makeImage([{ tar }]).image, { summarize, layerCache: use });
    const { image, log } = makeImage([{ tar }]);
    const tree = await readImageFiles(image, { summarize, layerCache: use });
    expect(log.opens).toEqual([0]);
    expect(tree.summary('bin/x')).toEqual(new Map([['k', 1]]));
  });

  it('keeps content fetched by the second pass for the next read', async () => {
    const cache = await freshCache('second-pass');
    const layers = [
      { tar: await makeTar([{ name: 'usr/lib/os-release', content: 'ID=x\n' }]) },
      {
        tar: await makeTar([{ name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' }]),
      },
    ];
    const use = { cache, key: 'k' };
    const want = (p: string) => p === 'etc/os-release';
    const cold = makeImage(layers);
    await readImageFiles(cold.image, { want, layerCache: use });
    expect(cold.log.opens).toEqual([2, 1]);
    const warm = makeImage(layers);
    const tree = await readImageFiles(warm.image, { want, layerCache: use });
    expect(warm.log.opens).toEqual([0, 0]);
    expect(tree.readFile('etc/os-release')?.toString()).toBe('ID=x\n');
  });

  it('prunes the least recently used files beyond the size cap', async () => {
    const cache = await freshCache('prune');
    const digests: Digest[] = [];
    for (let i = 0; i < 4; i++) {
      const tar = await makeTar([{ name: `f${i}`, content: Buffer.alloc(10_000, i) }]);
      const { image } = makeImage([{ tar }]);
      digests.push(image.layers[0]?.diffID ?? ('' as Digest));
      await readImageFiles(image, { want: () => true, layerCache: { cache, key: 'k' } });
      // Distinct, increasing use times: f0 oldest.
      const t = new Date(Date.now() - (10 - i) * 60_000);
      await utimes(cache.fileFor(digests[i] ?? ('' as Digest), 'k'), t, t);
    }
    const one = (await stat(cache.fileFor(digests[0] ?? ('' as Digest), 'k'))).size;
    expect(await cache.size()).toBeGreaterThanOrEqual(4 * one - 100);
    expect(await cache.prune(2 * one + 200)).toBe(2);
    const left = await readdir(cache.dir);
    expect(left.sort()).toEqual(
      [2, 3].map((i) => path.basename(cache.fileFor(digests[i] ?? ('' as Digest), 'k'))).sort(),
    );

    // Storing beyond the cap prunes by itself.
    const small = new LayerCache({ dir: cache.dir, maxBytes: one + 200 });
    const tar = await makeTar([{ name: 'g', content: Buffer.alloc(10_000, 9) }]);
    await readImageFiles(makeImage([{ tar }]).image, {
      want: () => true,
      layerCache: { cache: small, key: 'k' },
    });
    expect(await readdir(cache.dir)).toHaveLength(1);
  });
});
