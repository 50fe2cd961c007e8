// Builders for the layer reader's tests: tars made with tar-stream's pack(), compressed with
// zlib or the zstd command, wrapped in LayeredImage objects whose configs carry the real
// diff_ids. Also loads the `docker save` fixtures from ../shared/data (see its SOURCES.md).
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { digestOf, type Digest } from '../core/index.js';
import {
  imageConfigSchema,
  MediaType,
  type Descriptor,
  type Layer,
  type LayeredImage,
} from '../oci/index.js';

export type TarSpec =
  | {
      readonly name: string;
      readonly type?: 'file';
      readonly content?: string | Buffer;
      readonly mode?: number;
      readonly uid?: number;
      readonly gid?: number;
    }
  | { readonly name: string; readonly type: 'directory'; readonly mode?: number }
  | { readonly name: string; readonly type: 'symlink' | 'link'; readonly linkname: string }
  | { readonly name: string; readonly type: 'character-device' | 'block-device' | 'fifo' };

const MTIME = new Date('2024-01-02T03:04:05Z');

/** A tar stream holding `entries` in order, as tar-stream writes it (pax for long names). */
export async function makeTar(entries: readonly TarSpec[]): Promise<Buffer> {
  const p = pack();
  const out: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of p) out.push(chunk as Buffer);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null): void => {
        if (err) reject(err);
        else resolve();
      };
      switch (e.type) {
        case undefined:
        case 'file': {
          const content =
            typeof e.content === 'string' ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0));
          p.entry(
            {
              name: e.name,
              type: 'file',
              mode: e.mode ?? 0o644,
              uid: e.uid ?? 0,
              gid: e.gid ?? 0,
              mtime: MTIME,
            },
            content,
            done,
          );
          break;
        }
        case 'directory':
          p.entry({ name: e.name, type: 'directory', mode: e.mode ?? 0o755, mtime: MTIME }, done);
          break;
        case 'symlink':
        case 'link':
          p.entry({ name: e.name, type: e.type, linkname: e.linkname, mode: 0o777, mtime: MTIME }, done);
          break;
        case 'character-device':
        case 'block-device':
        case 'fifo':
          p.entry({ name: e.name, type: e.type, mode: 0o644, mtime: MTIME, devmajor: 1, devminor: 3 }, done);
      }
    });
  }
  p.finalize();
  await collected;
  return Buffer.concat(out);
}

/** One raw 512-byte ustar header, for entries tar-stream's pack() refuses to write. */
export function rawHeader(name: string, typeflag: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(
    `${Math.floor(MTIME.getTime() / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
  h.write('        ', 148);
  h.write(typeflag, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function padded(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

/**
 * A regular file entry whose name comes from a pax `path` record, byte for byte as given
 * (including NUL bytes, which no ustar name field can carry).
 */
export function paxFileEntry(name: string, content: string): Buffer {
  const body = ` path=${name}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (`${length}${body}`.length !== length) length = Buffer.byteLength(`${length}${body}`);
  const record = Buffer.from(`${length}${body}`);
  const data = Buffer.from(content);
  return Buffer.concat([
    rawHeader('PaxHeader', 'x', record.length),
    padded(record),
    rawHeader('placeholder', '0', data.length),
    padded(data),
  ]);
}

export function gzip(data: Buffer): Buffer {
  return gzipSync(data);
}

/** Compresses with the real zstd command line tool (/usr/bin/zstd). */
export function zstd(data: Buffer, level = 3): Buffer {
  return execFileSync('/usr/bin/zstd', ['-q', '-c', `-${level}`], { input: data, maxBuffer: 1 << 30 });
}

export type LayerSpec = {
  /** The uncompressed tar (its digest is the diffID unless `diffID` says otherwise). */
  readonly tar: Buffer;
  /** The bytes as stored; defaults to `tar`. */
  readonly stored?: Buffer;
  readonly mediaType?: string;
  readonly diffID?: Digest;
  readonly createdBy?: string;
  /** Size of the chunks the layer stream delivers (default 64 KiB). */
  readonly chunkSize?: number;
  /** Replaces the stored bytes' stream, e.g. one that fails midway. */
  readonly open?: () => Readable;
};

function* chunksOf(data: Buffer, size: number, counted: (n: number) => void): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) {
    const chunk = data.subarray(i, i + size);
    counted(chunk.length);
    yield chunk;
  }
}

/** What happened to each layer's streams, for tests of second passes and clean-up. */
export type OpenLog = {
  /** Number of times each layer was opened. */
  readonly opens: number[];
  /** Every stream handed out, in order. */
  readonly streams: Readable[];
  /** Stored bytes each stream pulled from its source so far, in order. */
  readonly consumed: number[];
};

export function makeImage(layers: readonly LayerSpec[]): { image: LayeredImage; log: OpenLog } {
  const log: OpenLog = { opens: layers.map(() => 0), streams: [], consumed: [] };
  const descriptors: Descriptor[] = layers.map((l) => {
    const stored = l.stored ?? l.tar;
    return { mediaType: l.mediaType ?? MediaType.ociLayerTar, digest: digestOf(stored), size: stored.length };
  });
  const diffIDs = layers.map((l) => l.diffID ?? digestOf(l.tar));
  const config = imageConfigSchema.parse({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: diffIDs },
    history: layers.map((l, i) => ({ created_by: l.createdBy ?? `step ${i}` })),
  });
  const configBytes = Buffer.from(JSON.stringify(config));
  const imageLayers: Layer[] = layers.map((l, i) => ({
    index: i,
    descriptor: descriptors[i] ?? { mediaType: '', digest: digestOf(''), size: 0 },
    diffID: diffIDs[i] ?? digestOf(''),
    history: config.history?.[i],
    open: () => {
      log.opens[i] = (log.opens[i] ?? 0) + 1;
      const slot = log.consumed.length;
      log.consumed.push(0);
      const counted = (n: number): void => {
        log.consumed[slot] = (log.consumed[slot] ?? 0) + n;
      };
      const stream =
        l.open?.() ??
        Readable.from(chunksOf(l.stored ?? l.tar, l.chunkSize ?? 64 * 1024, counted), { objectMode: false });
      log.streams.push(stream);
      return Promise.resolve(stream);
    },
  }));
  const manifest = {
    schemaVersion: 2 as const,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: digestOf(configBytes), size: configBytes.length },
    layers: descriptors,
  };
  const image: LayeredImage = {
    kind: 'layered',
    source: 'oci',
    reference: 'test:image',
    digest: digestOf(JSON.stringify(manifest)),
    indexDigest: undefined,
    mediaType: MediaType.ociManifest,
    manifest,
    configDigest: digestOf(configBytes),
    configBytes,
    config,
    platform: undefined,
    layers: imageLayers,
  };
  return { image, log };
}

/** One-layer image from tar entries. */
export async function imageOf(
  ...layers: (readonly TarSpec[])[]
): Promise<{ image: LayeredImage; log: OpenLog }> {
  return makeImage(await Promise.all(layers.map(async (entries) => ({ tar: await makeTar(entries) }))));
}

const run = promisify(execFile);

type SaveManifest = { Config: string; Layers: string[] }[];

/**
 * A `docker save` tarball as a LayeredImage: extracted with the tar command, layers served from
 * the extracted files, diff_ids taken from the fixture's own config.
 */
export async function dockerSaveImage(
  tarball: string,
): Promise<{ image: LayeredImage; log: OpenLog; layerTars: Buffer[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-layers-'));
  try {
    await run('tar', ['-xf', tarball, '-C', dir]);
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as SaveManifest;
    const first = manifest[0];
    if (first === undefined) throw new Error(`${tarball}: empty manifest.json`);
    const config = imageConfigSchema.parse(JSON.parse(await readFile(path.join(dir, first.Config), 'utf8')));
    const stored = await Promise.all(first.Layers.map((l) => readFile(path.join(dir, l))));
    const specs: LayerSpec[] = stored.map((bytes, i) => ({
      tar: bytes,
      stored: bytes,
      mediaType: first.Layers[i]?.endsWith('.tar.gz') ? MediaType.dockerLayerGzip : MediaType.ociLayerTar,
      ...(config.rootfs.diff_ids[i] === undefined ? {} : { diffID: config.rootfs.diff_ids[i] }),
    }));
    const { image, log } = makeImage(specs);
    return { image, log, layerTars: stored };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
