import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTree, tempDir, writeTar } from '../../testing/source-helpers.js';
import { prepareArchive, sniffCompression } from './compression.js';

let work: string;
let cacheDir: string;
beforeAll(async () => {
  work = await tempDir('portcullis-compression-');
  cacheDir = path.join(work, 'cache');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('sniffCompression', () => {
  it.each([
    { name: 'gzip', head: [0x1f, 0x8b, 0x08, 0x00], want: 'gzip' },
    { name: 'zstd', head: [0x28, 0xb5, 0x2f, 0xfd, 0x00], want: 'zstd' },
    { name: 'a zstd skippable frame', head: [0x5e, 0x2a, 0x4d, 0x18], want: 'zstd' },
    { name: 'bzip2', head: [0x42, 0x5a, 0x68, 0x39], want: 'bzip2' },
    { name: 'xz', head: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], want: 'xz' },
    { name: 'a tar header', head: [...Buffer.from('etc/passwd\0')], want: 'none' },
    { name: 'nothing', head: [], want: 'none' },
    { name: 'one gzip byte', head: [0x1f], want: 'none' },
  ])('recognizes $name as $want', ({ head, want }) => {
    expect(sniffCompression(Uint8Array.from(head))).toBe(want);
  });
});

describe('prepareArchive', () => {
  it('uses an uncompressed tar in place, whatever its name says', async () => {
    const file = path.join(work, 'plain.tar.gz');
    await writeTar(file, [{ name: 'a', content: 'a' }]);
    const archive = await prepareArchive(file, { cacheDir, maxBytes: 1 << 20 });
    expect(archive.path).toBe(file);
    expect(archive.compression).toBe('none');
    await archive.dispose();
    expect(await readFile(file)).toBeTruthy();
  });

  it('decompresses a gzip archive into <cacheDir>/tmp and removes it on dispose', async () => {
    const tarFile = path.join(work, 'inner.tar');
    await writeTar(tarFile, [{ name: 'hello.txt', content: 'hello' }]);
    const gz = path.join(work, 'archive.bin');
    await writeFile(gz, gzipSync(await readFile(tarFile)));
    const archive = await prepareArchive(gz, { cacheDir, maxBytes: 1 << 20 });
    expect(archive.compression).toBe('gzip');
    expect(path.dirname(archive.path)).toBe(path.join(cacheDir, 'tmp'));
    expect((await readFile(archive.path)).equals(await readFile(tarFile))).toBe(true);
    await archive.dispose();
    await archive.dispose();
    expect(await listTree(cacheDir)).toEqual(['tmp']);
  });

  it('refuses a truncated gzip archive and leaves no temporary file', async () => {
    const tarFile = path.join(work, 'inner2.tar');
    await writeTar(tarFile, [{ name: 'x', content: Buffer.alloc(50_000, 3) }]);
    const gzBytes = gzipSync(await readFile(tarFile), { level: 0 });
    const gz = path.join(work, 'cut.tar.gz');
    await writeFile(gz, gzBytes.subarray(0, gzBytes.length - 2000));
    await expect(prepareArchive(gz, { cacheDir, maxBytes: 1 << 20 })).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: expect.stringMatching(/cut\.tar\.gz is corrupt or truncated/) as unknown,
    });
    expect(await listTree(cacheDir)).toEqual(['tmp']);
  });

  it('stops decompressing at maxBytes with LIMIT_EXCEEDED and leaves no temporary file', async () => {
    const gz = path.join(work, 'bomb.tar.gz');
    await writeFile(gz, gzipSync(Buffer.alloc(4 << 20)));
    await expect(prepareArchive(gz, { cacheDir, maxBytes: 1 << 20 })).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
    });
    expect(await listTree(cacheDir)).toEqual(['tmp']);
  });

  it('names unsupported compression instead of misreading it', async () => {
    // Only the magic bytes are looked at, so a stub with xz's signature stands for an xz file.
    const file = path.join(work, 'image.tar');
    await writeFile(
      file,
      Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(1024)]),
    );
    await expect(prepareArchive(file, { cacheDir, maxBytes: 1 << 20 })).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: expect.stringMatching(/is xz-compressed, which is not supported/) as unknown,
    });
  });

  it.each([
    {
      what: 'a missing file',
      make: () => Promise.resolve(path.join(work, 'missing.tar')),
      message: /does not exist/,
    },
    {
      what: 'a directory',
      make: async () => {
        const d = path.join(work, 'a-dir');
        await mkdir(d, { recursive: true });
        return d;
      },
      message: /is a directory, not an archive file \(for an OCI layout directory use oci:/,
    },
  ])('refuses $what with SOURCE_INVALID', async ({ make, message }) => {
    await expect(prepareArchive(await make(), { cacheDir, maxBytes: 1 << 20 })).rejects.toMatchObject({
      code: 'SOURCE_INVALID',
      message: expect.stringMatching(message) as unknown,
    });
  });
});
