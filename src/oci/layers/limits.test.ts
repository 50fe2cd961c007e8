import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CoreError, digestOf, type Limits } from '../../core/index.js';
import { MediaType } from '../mediatypes.js';
import { readImageFiles, type ReadFilesOptions } from './index.js';
import {
  gzip,
  makeImage,
  makeTar,
  rawHeader,
  type LayerSpec,
  type TarSpec,
} from '../../testing/layer-images.js';

const KiB = 1024;
const MiB = 1024 * KiB;

async function layer(entries: readonly TarSpec[], extra: Partial<LayerSpec> = {}): Promise<LayerSpec> {
  return { tar: await makeTar(entries), ...extra };
}

function files(prefix: string, n: number, size = 10): TarSpec[] {
  return Array.from({ length: n }, (_, i) => ({ name: `${prefix}/f${i}`, content: Buffer.alloc(size, 1) }));
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

type LimitCase = {
  readonly name: string;
  readonly layers: () => Promise<LayerSpec[]>;
  readonly limits: Partial<Limits>;
  readonly want?: (p: string) => boolean;
  readonly limit: keyof Limits;
};

const limitCases: LimitCase[] = [
  {
    name: 'a wanted file larger than maxFileBytes',
    layers: async () => [await layer([{ name: 'big', content: Buffer.alloc(2 * KiB) }])],
    limits: { maxFileBytes: KiB },
    want: (p) => p === 'big',
    limit: 'maxFileBytes',
  },
  {
    name: 'a wanted symlink to an unwanted file larger than maxFileBytes',
    layers: async () => [
      await layer([{ name: 'big', content: Buffer.alloc(2 * KiB) }]),
      await layer([{ name: 'link', type: 'symlink', linkname: 'big' }]),
    ],
    limits: { maxFileBytes: KiB },
    want: (p) => p === 'link',
    limit: 'maxFileBytes',
  },
  {
    name: 'more tar entries than maxEntries in one layer',
    layers: async () => [await layer(files('a', 20))],
    limits: { maxEntries: 10 },
    limit: 'maxEntries',
  },
  {
    name: 'more tar entries than maxEntries across layers',
    layers: async () => [await layer(files('a', 6)), await layer(files('b', 6))],
    limits: { maxEntries: 10 },
    limit: 'maxEntries',
  },
  {
    name: 'more decompressed bytes than maxDecompressedBytes across layers',
    layers: async () => [
      await layer(files('a', 1, 40 * KiB), {
        stored: gzip(await makeTar(files('a', 1, 40 * KiB))),
        mediaType: MediaType.ociLayerGzip,
      }),
      await layer(files('b', 1, 40 * KiB)),
    ],
    limits: { maxDecompressedBytes: 64 * KiB },
    limit: 'maxDecompressedBytes',
  },
];

describe('limits', () => {
  it.each(limitCases)('fails with LIMIT_EXCEEDED for $name, naming the limit and its option', async (c) => {
    const { image, log } = makeImage(await c.layers());
    const options: ReadFilesOptions = { limits: c.limits, ...(c.want ? { want: c.want } : {}) };
    const err = await rejection(readImageFiles(image, options));
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toContain(`${c.limit} limit of ${c.limits[c.limit] ?? -1}`);
    expect(err.message).toContain(`limits.${c.limit}`);
    for (const s of log.streams) expect(s.destroyed).toBe(true);
  });

  it('does not apply maxFileBytes to files that are not wanted', async () => {
    const { image } = makeImage([
      await layer([
        { name: 'big', content: Buffer.alloc(4 * KiB) },
        { name: 'small', content: 'ok' },
      ]),
    ]);
    const tree = await readImageFiles(image, { limits: { maxFileBytes: KiB }, want: (p) => p === 'small' });
    expect(tree.get('big')?.size).toBe(4 * KiB);
    expect(tree.readFile('small')?.toString()).toBe('ok');
  });

  it('stops a gzip bomb (1 GiB of zeros) at maxDecompressedBytes without reading it all', async () => {
    // A tar header for a 1 GiB file, then the zeros as 64 identical gzip members of 16 MiB
    // each (gunzip reads concatenated members as one stream): the gigabyte never exists here.
    const zeros16 = gzipSync(Buffer.alloc(16 * MiB));
    const stored = Buffer.concat([
      gzipSync(rawHeader('zeros', '0', 1024 * MiB)),
      ...Array<Buffer>(64).fill(zeros16),
    ]);
    const { image, log } = makeImage([
      {
        tar: Buffer.alloc(0),
        stored,
        mediaType: MediaType.ociLayerGzip,
        diffID: digestOf('unknowable'),
        chunkSize: 16 * KiB,
      },
    ]);
    const started = performance.now();
    const err = await rejection(readImageFiles(image, { limits: { maxDecompressedBytes: MiB } }));
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toMatch(/maxDecompressedBytes limit of 1048576/);
    expect(log.consumed[0]).toBeLessThan(stored.length / 20);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(log.streams[0]?.destroyed).toBe(true);
  });

  it('stops a zstd bomb (RLE blocks worth 8 GiB) at maxDecompressedBytes without reading it all', async () => {
    const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3]);
    const count = 65536;
    const blocks = Buffer.alloc(count * 4);
    for (let i = 0; i < count; i++)
      blocks.writeUIntLE((i === count - 1 ? 1 : 0) | (1 << 1) | ((128 * KiB) << 3), i * 4, 3);
    const stored = Buffer.concat([header, blocks]);
    const { image, log } = makeImage([
      {
        tar: Buffer.alloc(0),
        stored,
        mediaType: MediaType.ociLayerZstd,
        diffID: digestOf('unknowable'),
        chunkSize: 4 * KiB,
      },
    ]);
    const err = await rejection(readImageFiles(image, { limits: { maxDecompressedBytes: MiB } }));
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(log.consumed[0]).toBeLessThan(stored.length / 8);
  });
});

describe('layer failures', () => {
  it('fails with DIFFID_MISMATCH naming the layer and both digests', async () => {
    const good = await makeTar([{ name: 'a', content: 'a' }]);
    const other = await makeTar([{ name: 'b', content: 'b' }]);
    const claimed = digestOf('not this layer');
    const { image } = makeImage([{ tar: good }, { tar: other, diffID: claimed }]);
    const err = await rejection(readImageFiles(image));
    expect(err.code).toBe('DIFFID_MISMATCH');
    expect(err.message).toContain('layer 1');
    expect(err.message).toContain(digestOf(other));
    expect(err.message).toContain(claimed);
  });

  it('fails with LAYER_INVALID for a truncated gzip layer, naming it', async () => {
    const tar = await makeTar(files('a', 50, 2000));
    const gz = gzip(tar);
    const { image, log } = makeImage([
      { tar, stored: gz.subarray(0, gz.length >> 1), mediaType: MediaType.ociLayerGzip },
    ]);
    const err = await rejection(readImageFiles(image));
    expect(err.code).toBe('LAYER_INVALID');
    expect(err.message).toMatch(/layer 0 \(sha256:[0-9a-f]{64}\) cannot be read: unexpected end of file/);
    expect(log.streams[0]?.destroyed).toBe(true);
  });

  it('fails with LAYER_INVALID for a tar cut off in the middle of an entry', async () => {
    const tar = await makeTar(files('a', 3, 5000));
    const { image } = makeImage([{ tar: tar.subarray(0, 6000) }]);
    expect(await rejection(readImageFiles(image))).toMatchObject({ code: 'LAYER_INVALID' });
  });

  it('fails with LAYER_INVALID for data that is not a tar', async () => {
    const { image } = makeImage([{ tar: Buffer.alloc(4096, 0x41) }]);
    const err = await rejection(readImageFiles(image));
    expect(err.code).toBe('LAYER_INVALID');
    expect(err.message).toMatch(/Invalid tar header/);
  });

  it('passes on the coded error of a layer stream that fails verification midway', async () => {
    const tar = await makeTar(files('a', 20, 4000));
    const failure = new CoreError('DIGEST_MISMATCH', 'blob sha256:abc failed verification');
    const open = (): Readable => {
      let sent = false;
      return new Readable({
        read() {
          if (sent) {
            this.destroy(failure);
            return;
          }
          sent = true;
          this.push(tar.subarray(0, 30_000));
        },
      });
    };
    const { image, log } = makeImage([{ tar, open }]);
    expect(await rejection(readImageFiles(image))).toBe(failure);
    expect(log.streams[0]?.destroyed).toBe(true);
  });

  it('passes on a failure to open a layer', async () => {
    const { image } = makeImage([await layer(files('a', 1))]);
    const failure = new CoreError('IO_FAILED', 'cannot open blob');
    const broken = {
      ...image,
      layers: image.layers.map((l) => ({ ...l, open: () => Promise.reject(failure) })),
    };
    expect(await rejection(readImageFiles(broken))).toBe(failure);
  });
});

describe('abort', () => {
  it('rejects with the signal reason before opening anything when already aborted', async () => {
    const { image, log } = makeImage([await layer(files('a', 3))]);
    const controller = new AbortController();
    controller.abort(new Error('not today'));
    expect((await rejection(readImageFiles(image, { signal: controller.signal }))).message).toBe('not today');
    expect(log.opens).toEqual([0]);
  });

  it('stops waiting for a layer stream that never sends anything', async () => {
    const stalled = new Readable({
      read() {
        // never pushes
      },
    });
    const { image, log } = makeImage([{ tar: Buffer.alloc(0), open: () => stalled }]);
    const controller = new AbortController();
    const reading = readImageFiles(image, { signal: controller.signal });
    setTimeout(() => {
      controller.abort();
    }, 20);
    expect((await rejection(reading)).name).toBe('AbortError');
    expect(log.streams[0]?.destroyed).toBe(true);
  });

  it('stops in the middle of a layer and destroys its streams', async () => {
    const { image, log } = makeImage([
      await layer(files('a', 200, 1000), { chunkSize: 4096 }),
      await layer(files('b', 1)),
    ]);
    const controller = new AbortController();
    let seen = 0;
    const err = await rejection(
      readImageFiles(image, {
        signal: controller.signal,
        want: () => {
          if (++seen === 10) controller.abort();
          return false;
        },
      }),
    );
    expect(err.name).toBe('AbortError');
    expect(seen).toBeLessThan(200);
    expect(log.opens).toEqual([1, 0]);
    expect(log.streams[0]?.destroyed).toBe(true);
  });
});
