import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf, VerifyingStream } from './digest.js';
import { writeFileAtomic, writeStreamAtomic } from './fs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pc-fs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('atomic writes', () => {
  it('replaces a file whole', async () => {
    const target = path.join(dir, 'sub', 'f.json');
    await writeFileAtomic(target, 'one');
    await writeFileAtomic(target, 'two');
    expect(await readFile(target, 'utf8')).toBe('two');
    expect(await readdir(path.dirname(target))).toEqual(['f.json']);
  });

  it('creates the file with the given mode and, with overwrite false, never replaces one', async () => {
    const target = path.join(dir, 'secret.key');
    await writeFileAtomic(target, 'one', 0o600, { overwrite: false });
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    const refused = await writeFileAtomic(target, 'two', 0o600, { overwrite: false }).catch(
      (err: unknown) => err,
    );
    expect(refused).toMatchObject({ code: 'IO_FAILED', cause: { code: 'EEXIST' } });
    expect(await readFile(target, 'utf8')).toBe('one');
    expect(await readdir(dir)).toEqual(['secret.key']);
  });

  it('leaves nothing behind when the stream fails verification', async () => {
    const target = path.join(dir, 'blob');
    const verify = new VerifyingStream(digestOf('expected'), 8);
    await expect(
      writeStreamAtomic(target, Readable.from([Buffer.from('tampered')]), [verify]),
    ).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
    expect(await readdir(dir)).toEqual([]);
  });
});
