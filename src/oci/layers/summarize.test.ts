import { createHash, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Limits } from '../../core/index.js';
import type { RootfsImage } from '../image.js';
import { readImageFiles, type ReadFilesOptions } from './index.js';
import { gzip, imageOf, makeImage, makeTar, type TarSpec } from '../../testing/layer-images.js';

type Summarize = NonNullable<ReadFilesOptions['summarize']>;

type Case = {
  readonly name: string;
  readonly layers: readonly (readonly TarSpec[])[];
  /** Which paths get a reducer (default: every path starting with `bin/`). */
  readonly select?: (path: string, meta: { readonly mode: number; readonly size: number }) => boolean;
  readonly want?: (path: string) => boolean;
  readonly limits?: Partial<Limits>;
  /** Path → expected summary (the reducer returns `layer-content` text), undefined for none. */
  readonly summaries: Readonly<Record<string, string | undefined>>;
  /** Every path the reducer actually ran on, in order. */
  readonly reduced?: readonly string[];
  readonly files?: Readonly<Record<string, string | undefined>>;
  readonly warnings?: readonly RegExp[];
};

const f = (name: string, content = name, mode = 0o755): TarSpec => ({ name, content, mode });
const d = (name: string): TarSpec => ({ name, type: 'directory' });
const sym = (name: string, linkname: string): TarSpec => ({ name, type: 'symlink', linkname });
const hard = (name: string, linkname: string): TarSpec => ({ name, type: 'link', linkname });

const cases: Case[] = [
  {
    name: 'keeps the reducer result of a selected file and not its bytes',
    layers: [[d('bin/'), f('bin/app', 'ELF app')]],
    summaries: { 'bin/app': 'ELF app' },
    reduced: ['bin/app'],
    files: { 'bin/app': undefined },
  },
  {
    name: 'a later layer replacing the file replaces its summary',
    layers: [[f('bin/app', 'old')], [f('bin/app', 'new')]],
    summaries: { 'bin/app': 'new' },
    reduced: ['bin/app', 'bin/app'],
  },
  {
    name: 'a later layer replacing the file with one the caller does not select drops the summary',
    layers: [[f('bin/app', 'old', 0o755)], [f('bin/app', 'now a script', 0o644)]],
    select: (p, meta) => p.startsWith('bin/') && (meta.mode & 0o111) !== 0,
    summaries: { 'bin/app': undefined },
    reduced: ['bin/app'],
  },
  {
    name: 'a later symlink or directory at the path drops the summary',
    layers: [
      [f('bin/a'), f('bin/b'), f('bin/c', 'c')],
      [sym('bin/a', 'c'), d('bin/b/')],
    ],
    summaries: { 'bin/a': 'c', 'bin/b': undefined, 'bin/c': 'c' },
  },
  {
    name: 'a whiteout removes the summary with the file',
    layers: [[d('bin/'), f('bin/app'), f('bin/keep', 'kept')], [f('bin/.wh.app', '')]],
    summaries: { 'bin/app': undefined, 'bin/keep': 'kept' },
  },
  {
    name: 'an opaque directory removes the summaries below it',
    layers: [
      [d('bin/'), f('bin/app')],
      [d('bin/'), f('bin/.wh..wh..opq', ''), f('bin/new', 'fresh')],
    ],
    summaries: { 'bin/app': undefined, 'bin/new': 'fresh' },
  },
  {
    name: 'runs no reducer for files the caller does not select, nor for links and directories',
    layers: [
      [d('bin/'), f('etc/passwd'), f('bin/app', 'app'), sym('bin/link', 'app'), hard('bin/hard', 'bin/app')],
    ],
    summaries: { 'etc/passwd': undefined, 'bin/app': 'app' },
    reduced: ['bin/app'],
  },
  {
    name: 'follows symlinks and hard links to the summarized file, as readFile does',
    layers: [
      [f('bin/app', 'app'), sym('usr/bin/app', '../../bin/app'), hard('bin/again', 'bin/app')],
      [f('other')],
    ],
    summaries: { 'usr/bin/app': 'app', 'bin/again': 'app', '/bin/app': 'app', 'bin/app\0': undefined },
  },
  {
    name: 'a file both wanted and summarized keeps its bytes and its summary',
    layers: [[f('bin/app', 'both')]],
    want: (p) => p === 'bin/app',
    summaries: { 'bin/app': 'both' },
    files: { 'bin/app': 'both' },
  },
  {
    name: 'a reducer that throws costs a warning for that file, and the others are still summarized',
    layers: [[f('bin/bad', 'boom'), f('bin/good', 'fine')]],
    summaries: { 'bin/bad': undefined, 'bin/good': 'fine' },
    warnings: [/^layer 0: could not summarize "bin\/bad": hostile input$/],
  },
  {
    name: 'a file over maxFileBytes is not summarized, with a warning, and the read goes on',
    layers: [[f('bin/huge', 'x'.repeat(100)), f('bin/small', 'ok')]],
    limits: { maxFileBytes: 10 },
    summaries: { 'bin/huge': undefined, 'bin/small': 'ok' },
    reduced: ['bin/small'],
    warnings: [/not summarized "bin\/huge": 100 bytes, over the maxFileBytes limit of 10/],
  },
];

/** A reducer per selected path that records its calls and throws on content `boom`. */
function recorder(select: Case['select']): { summarize: Summarize; reduced: string[] } {
  const reduced: string[] = [];
  const chosen = select ?? ((p: string) => p.startsWith('bin/'));
  const summarize: Summarize = (p, meta) =>
    chosen(p, meta)
      ? (content) => {
          reduced.push(p);
          if (content.toString() === 'boom') throw new Error('hostile input');
          expect(content.length).toBe(meta.size);
          return content.toString();
        }
      : undefined;
  return { summarize, reduced };
}

describe('readImageFiles with a summarize reducer on layered images', () => {
  it.each(cases)('$name', async (c) => {
    const { image } = await imageOf(...c.layers);
    const { summarize, reduced } = recorder(c.select);
    const tree = await readImageFiles(image, {
      summarize,
      ...(c.want ? { want: c.want } : {}),
      ...(c.limits ? { limits: c.limits } : {}),
    });
    for (const [p, summary] of Object.entries(c.summaries)) expect(tree.summary(p), p).toBe(summary);
    if (c.reduced) expect(reduced).toEqual(c.reduced);
    for (const [p, content] of Object.entries(c.files ?? {}))
      expect(tree.readFile(p)?.toString(), p).toBe(content);
    expect(tree.warnings).toHaveLength(c.warnings?.length ?? 0);
    for (const [i, re] of (c.warnings ?? []).entries()) expect(tree.warnings[i]).toMatch(re);
  });

  it('asks with the permission bits and size of each regular file', async () => {
    const { image } = await imageOf([
      { name: 'bin/tool', content: 'abc', mode: 0o4750 },
      f('doc', 'text', 0o644),
    ]);
    const asked: [string, number, number][] = [];
    await readImageFiles(image, {
      summarize: (p, meta) => {
        asked.push([p, meta.mode, meta.size]);
        return undefined;
      },
    });
    expect(asked).toEqual([
      ['bin/tool', 0o4750, 3],
      ['doc', 0o644, 4],
    ]);
  });

  it('hands a large file to the reducer whole after it arrived in many small chunks of a gzip layer', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const tar = await makeTar([{ name: 'bin/big', content: big, mode: 0o755 }, f('bin/after', 'after')]);
    const { image } = makeImage([
      { tar, stored: gzip(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', chunkSize: 1000 },
    ]);
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    const tree = await readImageFiles(image, { summarize: () => sha });
    expect(tree.summary('bin/big')).toBe(sha(big));
    expect(tree.summary('bin/after')).toBe(sha(Buffer.from('after')));
    expect(tree.readFile('bin/big')).toBeUndefined();
  });
});

describe('readImageFiles with a summarize reducer on a rootfs directory', () => {
  let base: string;
  let image: RootfsImage;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'portcullis-summarize-'));
    const root = path.join(base, 'root');
    await mkdir(path.join(root, 'bin'), { recursive: true });
    await writeFile(path.join(root, 'bin/app'), 'app');
    await chmod(path.join(root, 'bin/app'), 0o755);
    await writeFile(path.join(root, 'bin/bad'), 'boom');
    await writeFile(path.join(root, 'bin/huge'), 'x'.repeat(100));
    await writeFile(path.join(root, 'notes'), 'not selected');
    await symlink('bin/app', path.join(root, 'link'));
    await link(path.join(root, 'bin/app'), path.join(root, 'bin/hard'));
    image = { kind: 'rootfs', source: 'rootfs', reference: `rootfs:${root}`, root };
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('summarizes selected files, follows symlinks, warns for failures and oversized files', async () => {
    const { summarize, reduced } = recorder(undefined);
    const tree = await readImageFiles(image, {
      summarize,
      want: (p) => p === 'bin/app',
      limits: { maxFileBytes: 50 },
    });
    expect(tree.summary('bin/app')).toBe('app');
    expect(tree.readFile('bin/app')?.toString()).toBe('app');
    expect(tree.summary('link')).toBe('app');
    expect(tree.summary('bin/hard')).toBe('app');
    expect(tree.summary('bin/bad')).toBeUndefined();
    expect(tree.summary('notes')).toBeUndefined();
    expect(tree.readFile('bin/hard')).toBeUndefined();
    expect(reduced.sort()).toEqual(['bin/app', 'bin/bad', 'bin/hard']);
    expect([...tree.warnings].sort()).toEqual([
      'rootfs: could not summarize "bin/bad": hostile input',
      'rootfs: not summarized "bin/huge": 100 bytes, over the maxFileBytes limit of 50',
    ]);
  });
});
