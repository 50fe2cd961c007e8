import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink, truncate, writeFile, link, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortcullisError } from '../../core/index.js';
import { readAll, tempDir, writeTar } from '../../testing/source-helpers.js';
import { indexTar } from './tar.js';

let work: string;
beforeAll(async () => {
  work = await tempDir('portcullis-tar-');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isPortcullisError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'resolved';
}

// Hand-built ustar header, for encodings GNU tar only writes for huge files.
function header(name: string, sizeField: Buffer | string, typeflag: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  if (typeof sizeField === 'string') h.write(sizeField, 124);
  else sizeField.copy(h, 124);
  h.write('00000000000\0', 136);
  h.write(typeflag, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function pad(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

describe('indexTar on archives written by GNU tar', () => {
  const deepDir = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(60)}`;
  const longName = `${'n'.repeat(90)}.txt`;
  const cases = [
    // ustar keeps long paths in its 155-byte prefix field; gnu uses 'L'/'K' records; pax uses 'x' headers.
    {
      format: 'ustar',
      file: `${'d'.repeat(50)}/${'e'.repeat(50)}/${'u'.repeat(90)}.txt`,
      linkTarget: 'plain.txt',
    },
    { format: 'gnu', file: `${deepDir}/${longName}`, linkTarget: `${deepDir}/${longName}` },
    { format: 'oldgnu', file: `${deepDir}/${longName}`, linkTarget: `${deepDir}/${longName}` },
    {
      format: 'pax',
      file: `${deepDir}/${longName}/ü-ünïcode.txt`,
      linkTarget: `${deepDir}/${longName}/ü-ünïcode.txt`,
    },
  ];

  it.each(cases)(
    'locates every entry of a $format archive and streams its exact bytes',
    async ({ format, file, linkTarget }) => {
      const src = path.join(work, `src-${format}`);
      await mkdir(path.join(src, path.dirname(file)), { recursive: true });
      await writeFile(path.join(src, file), 'deep content\n');
      await writeFile(path.join(src, 'plain.txt'), Buffer.alloc(1500, 'x'));
      await writeFile(path.join(src, 'empty'), '');
      await symlink(linkTarget, path.join(src, 'sym'));
      await link(path.join(src, 'plain.txt'), path.join(src, 'hard.txt'));
      const archive = path.join(work, `${format}.tar`);
      execFileSync('tar', ['-C', src, `--format=${format}`, '-cf', archive, '.']);

      const index = await indexTar(archive);
      const deep = index.resolve(file);
      expect(deep?.type).toBe('file');
      expect(deep && (await readAll(index.openEntry(deep))).toString()).toBe('deep content\n');
      const plain = index.resolve('./plain.txt');
      expect(plain?.size).toBe(1500);
      expect(plain && (await readAll(index.openEntry(plain))).equals(Buffer.alloc(1500, 'x'))).toBe(true);
      const empty = index.resolve('empty');
      expect(empty && (await readAll(index.openEntry(empty))).length).toBe(0);
      expect(index.get('sym')?.type).toBe('symlink');
      expect(index.resolve('sym')?.offset).toBe(index.resolve(linkTarget)?.offset);
      // GNU tar stores the second name of a hard-linked file as a link to the first.
      const hard = index.resolve('hard.txt');
      expect(hard && (await readAll(index.openEntry(hard))).length).toBe(1500);
      expect(index.get(path.dirname(file))?.type).toBe('directory');
    },
  );
});

describe('indexTar on hand-built headers', () => {
  it('reads a GNU base-256 size field', async () => {
    const size = Buffer.alloc(12);
    size[0] = 0x80;
    size.writeUInt32BE(5, 8);
    const file = path.join(work, 'b256.tar');
    await writeFile(
      file,
      Buffer.concat([header('big', size, '0'), pad(Buffer.from('hello')), Buffer.alloc(1024)]),
    );
    const entry = (await indexTar(file)).resolve('big');
    expect(entry?.size).toBe(5);
  });

  it('takes the size from a pax record over the header field', async () => {
    const record = (k: string, v: string): string => {
      const body = ` ${k}=${v}\n`;
      let len = body.length + 1;
      while (`${len}${body}`.length !== len) len++;
      return `${len}${body}`;
    };
    const pax = Buffer.from(record('size', '7') + record('path', 'renamed/by/pax'));
    const file = path.join(work, 'pax-size.tar');
    await writeFile(
      file,
      Buffer.concat([
        header('PaxHeader', `${pax.length.toString(8).padStart(11, '0')}\0`, 'x'),
        pad(pax),
        header('short', '00000000000\0', '0'),
        pad(Buffer.from('seven!!')),
        Buffer.alloc(1024),
      ]),
    );
    const index = await indexTar(file);
    expect(index.names()).toEqual(['renamed/by/pax']);
    const entry = index.resolve('renamed/by/pax');
    expect(entry && (await readAll(index.openEntry(entry))).toString()).toBe('seven!!');
  });

  it('accepts an archive without end-of-archive blocks', async () => {
    const file = path.join(work, 'no-eof.tar');
    await writeFile(file, Buffer.concat([header('a', '00000000001\0', '0'), pad(Buffer.from('a'))]));
    expect((await indexTar(file)).names()).toEqual(['a']);
  });
});

describe('indexTar refuses what is not a sound tar', () => {
  it.each([
    { what: 'an empty file', bytes: Buffer.alloc(0), message: /is not a tar archive: it is empty/ },
    {
      what: 'zero blocks only',
      bytes: Buffer.alloc(10240),
      message: /is not a tar archive: it holds no entries/,
    },
    {
      what: 'a text file',
      bytes: Buffer.from('{"hello": "world"}\n'.repeat(40)),
      message: /is not a tar archive: the first block is not a tar header/,
    },
    {
      what: 'a short text file',
      bytes: Buffer.from('FROM busybox\n'),
      message: /is not a tar archive: it is 13 bytes long/,
    },
    {
      what: 'a partial header',
      bytes: header('x', '00000000001\0', '0').subarray(0, 300),
      message: /is truncated/,
    },
  ])('refuses $what with ARCHIVE_INVALID', async ({ what, bytes, message }) => {
    const file = path.join(work, `bad-${what.replace(/ /g, '-')}.tar`);
    await writeFile(file, bytes);
    const got = await codeOf(indexTar(file));
    expect(got).toMatch(/^ARCHIVE_INVALID: /);
    expect(got).toMatch(message);
  });

  it('refuses an archive cut off inside an entry', async () => {
    const file = path.join(work, 'cut.tar');
    await writeTar(file, [
      { name: 'a.txt', content: 'a' },
      { name: 'b.bin', content: Buffer.alloc(5000, 1) },
    ]);
    await truncate(file, 512 * 3 + 100);
    expect(await codeOf(indexTar(file))).toMatch(/^ARCHIVE_INVALID: .*cut\.tar is truncated/);
  });

  it('refuses a corrupt header after the first', async () => {
    const file = path.join(work, 'corrupt.tar');
    const second = header('b', '00000000000\0', '0');
    second[0] = 0x41; // changes the name without fixing the checksum
    await writeFile(file, Buffer.concat([header('a', '00000000000\0', '0'), second, Buffer.alloc(1024)]));
    expect(await codeOf(indexTar(file))).toMatch(/^ARCHIVE_INVALID: .*corrupt tar header at byte 512/);
  });

  it.each(['../evil', 'a/../../evil', '/../evil', './x/../../../etc/passwd'])(
    'refuses an entry named %s that climbs out of the archive root',
    async (name) => {
      const file = path.join(work, 'hostile.tar');
      await writeTar(file, [
        { name: 'ok.txt', content: 'ok' },
        { name, content: 'pwned' },
      ]);
      expect(await codeOf(indexTar(file))).toMatch(/^ARCHIVE_INVALID: .*entry ".*(evil|passwd)" is refused/);
    },
  );

  it('keeps absolute entry names inside the archive', async () => {
    const file = path.join(work, 'abs.tar');
    await writeTar(file, [{ name: '/etc/hostname', content: 'inside' }]);
    const index = await indexTar(file);
    expect(index.names()).toEqual(['etc/hostname']);
  });

  it('refuses to follow symlinks that leave the archive or loop', async () => {
    const file = path.join(work, 'links.tar');
    await writeTar(file, [
      { name: 'out', type: 'symlink', linkname: '../../../etc/passwd' },
      { name: 'loop1', type: 'symlink', linkname: 'loop2' },
      { name: 'loop2', type: 'symlink', linkname: 'loop1' },
      { name: 'abs', type: 'symlink', linkname: '/target' },
      { name: 'target', content: 'via absolute link' },
    ]);
    const index = await indexTar(file);
    expect(() => index.resolve('out')).toThrow(/link out -> \.\.\/\.\.\/\.\.\/etc\/passwd is refused/);
    expect(() => index.resolve('loop1')).toThrow(/too many links/);
    // An absolute link target means the archive root: nothing outside the archive is ever read.
    expect(index.resolve('abs')?.name).toBe('target');
    expect(index.resolve('missing')).toBeUndefined();
  });

  it('lets a later entry with the same name replace an earlier one, as extraction does', async () => {
    const file = path.join(work, 'dup.tar');
    await writeTar(file, [
      { name: 'f', content: 'first' },
      { name: 'f', content: 'second' },
    ]);
    const index = await indexTar(file);
    const entry = index.resolve('f');
    expect(entry && (await readAll(index.openEntry(entry))).toString()).toBe('second');
  });

  it('stops at maxEntries with LIMIT_EXCEEDED', async () => {
    const file = path.join(work, 'many.tar');
    await writeTar(
      file,
      Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, content: 'x' })),
    );
    expect(await codeOf(indexTar(file, { maxEntries: 10 }))).toMatch(
      /^LIMIT_EXCEEDED: .*more than 10 entries/,
    );
  });

  it('reports a missing archive as SOURCE_INVALID', async () => {
    expect(await codeOf(indexTar(path.join(work, 'nope.tar')))).toMatch(
      /^SOURCE_INVALID: cannot open archive/,
    );
  });

  it('reads entries no larger than asked and refuses bigger ones', async () => {
    const file = path.join(work, 'sizes.tar');
    await writeTar(file, [{ name: 'big', content: Buffer.alloc(2000, 7) }]);
    const index = await indexTar(file);
    const entry = index.resolve('big');
    if (entry === undefined) throw new Error('entry missing');
    expect((await index.readEntry(entry, 2000)).length).toBe(2000);
    expect((await index.readHead(entry, 4)).length).toBe(4);
    await expect(index.readEntry(entry, 1999)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect((await stat(file)).size).toBeGreaterThan(2000);
  });
});
