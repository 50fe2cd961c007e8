import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { MediaType } from '../mediatypes.js';
import { decompressLayer, readImageFiles } from './index.js';
import { gzip, makeImage, makeTar, zstd } from '../../testing/layer-images.js';

function chunked(data: Buffer, size: number, counter?: { pulled: number }): Readable {
  function* gen(): Generator<Buffer> {
    for (let i = 0; i < data.length; i += size) {
      const chunk = data.subarray(i, i + size);
      if (counter) counter.pulled += chunk.length;
      yield chunk;
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

async function drain(stream: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of stream) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

async function failure(stream: Readable): Promise<Error> {
  try {
    await drain(stream);
  } catch (err) {
    return err as Error;
  }
  throw new Error('the stream did not fail');
}

/** A zstd frame (RFC 8878) of RLE blocks: each 4 bytes regenerate 128 KiB of `byte`. */
function rleFrame(blocks: number, byte = 0): Buffer {
  const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3]); // window 128 KiB
  const body = Buffer.alloc(blocks * 4);
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    body.writeUIntLE(last | (1 << 1) | ((128 * 1024) << 3), i * 4, 3);
    body[i * 4 + 3] = byte;
  }
  return Buffer.concat([header, body]);
}

const tar = await makeTar([
  { name: 'etc/', type: 'directory' },
  { name: 'etc/os-release', content: 'ID=test\n' },
  { name: 'usr/bin/tool', content: Buffer.alloc(300_000, 7) },
]);
const gz = gzip(tar);
const zst = zstd(tar);

const formats: { name: string; stored: Buffer; mediaType: string }[] = [
  { name: 'gzip labelled gzip', stored: gz, mediaType: MediaType.ociLayerGzip },
  { name: 'gzip labelled as a docker gzip layer', stored: gz, mediaType: MediaType.dockerLayerGzip },
  { name: 'gzip labelled as a plain tar', stored: gz, mediaType: MediaType.ociLayerTar },
  { name: 'gzip with an unknown media type', stored: gz, mediaType: 'application/octet-stream' },
  { name: 'zstd labelled zstd', stored: zst, mediaType: MediaType.ociLayerZstd },
  { name: 'zstd labelled gzip', stored: zst, mediaType: MediaType.ociLayerGzip },
  { name: 'zstd with an unknown media type', stored: zst, mediaType: 'application/x-whatever' },
  { name: 'plain tar labelled tar', stored: tar, mediaType: MediaType.ociLayerTar },
  {
    name: 'plain tar labelled gzip (as docker-archive does)',
    stored: tar,
    mediaType: MediaType.dockerLayerGzip,
  },
  { name: 'plain tar labelled zstd', stored: tar, mediaType: MediaType.ociLayerZstd },
  { name: 'plain tar with an unknown media type', stored: tar, mediaType: 'application/octet-stream' },
];

describe('decompressLayer', () => {
  it.each(formats)('returns the tar for $name', async ({ stored, mediaType }) => {
    expect((await drain(decompressLayer(chunked(stored, 64 * 1024), mediaType))).equals(tar)).toBe(true);
  });

  it.each(formats)('sniffs $name arriving one byte at a time', async ({ stored, mediaType }) => {
    const head = stored.subarray(0, 4096);
    const rest = stored.subarray(4096);
    const source = Readable.from(
      (function* () {
        for (const b of head) yield Buffer.from([b]);
        yield rest;
      })(),
      { objectMode: false },
    );
    expect((await drain(decompressLayer(source, mediaType))).equals(tar)).toBe(true);
  });

  it.each(formats)('reads the same tree from $name', async ({ stored, mediaType }) => {
    const { image } = makeImage([{ tar, stored, mediaType }]);
    const tree = await readImageFiles(image, { want: (p) => p === 'etc/os-release' });
    expect(tree.readFile('etc/os-release')?.toString()).toBe('ID=test\n');
    expect(tree.get('usr/bin/tool')?.size).toBe(300_000);
  });

  it('passes an empty uncompressed stream through', async () => {
    expect(
      await drain(decompressLayer(Readable.from([], { objectMode: false }), MediaType.ociLayerTar)),
    ).toHaveLength(0);
  });

  it('reports a truncated gzip stream as an error', async () => {
    const err = await failure(
      decompressLayer(chunked(gz.subarray(0, gz.length - 100), 1000), MediaType.ociLayerGzip),
    );
    expect(err.message).toMatch(/unexpected end of file/);
  });

  it('reports a gzip stream too short to sniff by its media type', async () => {
    const err = await failure(decompressLayer(chunked(gz.subarray(0, 3), 1), MediaType.ociLayerGzip));
    expect(err.message).toMatch(/unexpected end of file/);
  });

  it('reports truncated and corrupt zstd streams as errors', async () => {
    expect(
      (
        await failure(
          decompressLayer(chunked(zst.subarray(0, zst.length - 100), 1000), MediaType.ociLayerZstd),
        )
      ).message,
    ).toMatch(/zstd/);
    const corrupt = Buffer.from(zst);
    for (let i = 100; i < 400; i++) corrupt[i] = 0xff;
    expect((await failure(decompressLayer(chunked(corrupt, 1000), MediaType.ociLayerZstd))).message).toMatch(
      /zstd/,
    );
  });

  it('refuses encrypted layers with LAYER_INVALID', async () => {
    const err = await failure(
      decompressLayer(chunked(gz, 1000), 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted'),
    );
    expect(err).toMatchObject({ code: 'LAYER_INVALID' });
  });

  it('propagates the source stream error', async () => {
    const source = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      },
    });
    expect((await failure(decompressLayer(source, MediaType.ociLayerGzip))).message).toBe('disk on fire');
  });

  it('destroys the source when the consumer gives up', async () => {
    const source = chunked(gz, 1000);
    const out = decompressLayer(source, MediaType.ociLayerGzip);
    await new Promise<void>((resolve) =>
      out.once('data', () => {
        resolve();
      }),
    );
    out.destroy();
    await vi.waitFor(() => {
      expect(source.destroyed).toBe(true);
    });
  });
});

describe('zstd decompression', () => {
  it('decodes several concatenated frames, as the zstd tool does', async () => {
    const two = Buffer.concat([zstd(Buffer.from('first ')), zstd(Buffer.from('second'))]);
    expect((await drain(decompressLayer(chunked(two, 5), MediaType.ociLayerZstd))).toString()).toBe(
      'first second',
    );
  });

  it('skips a leading skippable frame, as the zstd tool does', async () => {
    const skippable = Buffer.concat([Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0]), Buffer.from('abc')]);
    const stored = Buffer.concat([skippable, zstd(tar)]);
    const cli = execFileSync('/usr/bin/zstd', ['-q', '-d', '-c'], { input: stored });
    expect(cli.equals(tar)).toBe(true);
    expect((await drain(decompressLayer(chunked(stored, 100), 'application/octet-stream'))).equals(tar)).toBe(
      true,
    );
  });

  it('decodes RLE blocks exactly as the zstd tool does', async () => {
    const frame = rleFrame(3, 0x61);
    const cli = execFileSync('/usr/bin/zstd', ['-q', '-d', '-c'], { input: frame });
    expect(cli).toHaveLength(3 * 128 * 1024);
    expect((await drain(decompressLayer(chunked(frame, 2), MediaType.ociLayerZstd))).equals(cli)).toBe(true);
  });

  it('refuses a frame that asks for a window larger than 128 MiB', async () => {
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (31 - 10) << 3, 0x01, 0x00, 0x00]);
    expect((await failure(decompressLayer(chunked(frame, 100), MediaType.ociLayerZstd))).message).toMatch(
      /2147483648-byte window/,
    );
  });

  it('honours backpressure on input that expands 32768-fold', async () => {
    // 8 GiB of output from 256 KiB: the consumer takes 1 MiB and stops; only the source's own
    // read-ahead (16 KiB) may have been pulled, nowhere near the whole input.
    const bomb = rleFrame(65536);
    const counter = { pulled: 0 };
    const out = decompressLayer(chunked(bomb, 1024, counter), MediaType.ociLayerZstd);
    let seen = 0;
    for await (const chunk of out) {
      seen += (chunk as Buffer).length;
      if (seen >= 1024 * 1024) break;
    }
    expect(counter.pulled).toBeLessThan(32 * 1024);
    expect(out.destroyed).toBe(true);
  });
});
