import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Limits } from '../../core/index.js';
import { readImageFiles, type FileType } from './index.js';
import { imageOf, makeImage, makeTar, paxFileEntry, type TarSpec } from '../../testing/layer-images.js';

type Case = {
  readonly name: string;
  /** Tar entries of each layer, base first. */
  readonly layers: readonly (readonly TarSpec[])[];
  readonly want?: (path: string) => boolean;
  readonly limits?: Partial<Limits>;
  /** Exactly the paths of the merged tree, when given. */
  readonly paths?: readonly string[];
  readonly absent?: readonly string[];
  readonly types?: Readonly<Record<string, FileType>>;
  /** Path → content readFile must return (undefined: must return nothing). */
  readonly files?: Readonly<Record<string, string | undefined>>;
  /** Path → path of the entry resolve must reach (undefined: must not resolve). */
  readonly resolves?: Readonly<Record<string, string | undefined>>;
  readonly layerOf?: Readonly<Record<string, number>>;
  readonly warnings?: readonly RegExp[];
  /** How often each layer must have been opened (checks the second pass). */
  readonly opens?: readonly number[];
};

const wantAll = (): boolean => true;
const files = (n: number): TarSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `d${i % 10}/f${i}`, content: `${i}` }));
const f = (name: string, content = name): TarSpec => ({ name, content });
const d = (name: string, mode?: number): TarSpec =>
  mode === undefined ? { name, type: 'directory' } : { name, type: 'directory', mode };
const sym = (name: string, linkname: string): TarSpec => ({ name, type: 'symlink', linkname });
const hard = (name: string, linkname: string): TarSpec => ({ name, type: 'link', linkname });

const cases: Case[] = [
  {
    name: 'merges layers: later layers add and overwrite files, directories merge',
    layers: [
      [d('etc/'), f('etc/a', 'a0'), f('etc/b', 'b0')],
      [d('etc/', 0o700), f('etc/b', 'b1'), d('usr/'), f('usr/x', 'x1')],
    ],
    want: wantAll,
    paths: ['etc', 'etc/a', 'etc/b', 'usr', 'usr/x'],
    files: { 'etc/a': 'a0', 'etc/b': 'b1', 'usr/x': 'x1' },
    layerOf: { 'etc/a': 0, 'etc/b': 1, etc: 1 },
  },
  {
    name: 'creates missing parent directories of an entry',
    layers: [[f('a/b/c', 'deep')]],
    paths: ['a', 'a/b', 'a/b/c'],
    types: { a: 'dir', 'a/b': 'dir', 'a/b/c': 'file' },
  },
  {
    name: 'a whiteout file deletes the file below and never appears itself',
    layers: [
      [d('a/'), f('a/f'), f('a/g')],
      [d('a/'), f('a/.wh.f', '')],
    ],
    paths: ['a', 'a/g'],
  },
  {
    name: 'a whiteout of a directory deletes its whole subtree',
    layers: [[d('d/'), d('d/x/'), f('d/x/y'), f('keep')], [f('.wh.d', '')]],
    paths: ['keep'],
  },
  {
    name: 'a whiteout spares entries of its own layer, whether they come before or after it',
    layers: [
      [d('d/'), f('d/old'), d('e/'), f('e/old')],
      [d('d/'), f('d/new'), f('.wh.d', ''), f('.wh.e', ''), d('e/'), f('e/new')],
    ],
    paths: ['d', 'd/new', 'e', 'e/new'],
  },
  {
    name: 'a whiteout only reaches lower layers: a later layer can bring the path back',
    layers: [[f('x', 'one')], [f('.wh.x', '')], [f('x', 'three')]],
    want: wantAll,
    files: { x: 'three' },
    layerOf: { x: 2 },
  },
  {
    name: 'an opaque directory hides all lower children but keeps itself and its own layer entries',
    layers: [
      [d('etc/'), d('etc/apt/'), f('etc/apt/a'), d('etc/apt/sub/'), f('etc/apt/sub/b'), f('etc/other')],
      [d('etc/apt/'), f('etc/apt/before'), f('etc/apt/.wh..wh..opq', ''), f('etc/apt/after')],
    ],
    paths: ['etc', 'etc/apt', 'etc/apt/after', 'etc/apt/before', 'etc/other'],
    layerOf: { 'etc/apt': 1 },
  },
  {
    name: 'an opaque marker at the root hides every lower path',
    layers: [
      [f('a'), d('b/'), f('b/c')],
      [f('.wh..wh..opq', ''), f('new')],
    ],
    paths: ['new'],
  },
  {
    name: 'AUFS bookkeeping entries are ignored',
    layers: [[f('a')], [d('.wh..wh.plnk/'), f('.wh..wh.plnk/123.456', ''), f('.wh..wh.aufs', '')]],
    paths: ['a'],
  },
  {
    name: 'skips entries inside a directory named like a whiteout, with a warning',
    layers: [
      [f('a'), d('x/'), f('x/odd')],
      [d('x/.wh.odd/'), f('x/.wh.odd/file')],
    ],
    paths: ['a', 'x'],
    warnings: [/x\/\.wh\.odd\/file.*inside a whiteout directory/],
  },
  {
    name: 'a file replacing a directory hides the directory subtree',
    layers: [[d('lib/'), f('lib/x'), d('lib/sub/'), f('lib/sub/y')], [f('lib', 'now a file')]],
    want: wantAll,
    paths: ['lib'],
    types: { lib: 'file' },
    files: { lib: 'now a file' },
  },
  {
    name: 'a symlink replacing a directory hides the directory subtree',
    layers: [[d('usr/'), d('usr/lib/'), d('lib/'), f('lib/x')], [sym('lib', 'usr/lib')]],
    paths: ['lib', 'usr', 'usr/lib'],
    types: { lib: 'symlink' },
  },
  {
    name: 'a directory replacing a file starts empty',
    layers: [[f('x')], [d('x/'), f('x/y')]],
    paths: ['x', 'x/y'],
    types: { x: 'dir' },
  },
  {
    name: 'a later entry below a lower non-directory turns it into a directory, with a warning',
    layers: [[d('usr/'), d('usr/lib/'), sym('lib', 'usr/lib')], [f('lib/x', 'x')]],
    paths: ['lib', 'lib/x', 'usr', 'usr/lib'],
    types: { lib: 'dir' },
    warnings: [/^layer 1: lib \(a symlink\) was replaced by a directory/],
  },
  {
    name: 'keeps content only for wanted paths, metadata for all',
    layers: [[f('etc/wanted', 'yes'), f('etc/unwanted', 'no thanks')]],
    want: (p) => p === 'etc/wanted',
    files: { 'etc/wanted': 'yes', 'etc/unwanted': undefined },
    types: { 'etc/unwanted': 'file' },
    opens: [1],
  },
  {
    name: 'keeps no content at all without a want predicate',
    layers: [[f('a', 'content')]],
    files: { a: undefined },
  },
  {
    name: 'follows symlink chains, relative and absolute, to the wanted file',
    layers: [
      [
        d('dir1/'),
        f('dir1/sample.txt', 'sample'),
        sym('dir1/absolute', '/dir1/sample.txt'),
        sym('dir1/chain', 'absolute'),
        sym('dir1/dot', './sample.txt'),
      ],
    ],
    want: wantAll,
    files: { 'dir1/chain': 'sample', 'dir1/absolute': 'sample', 'dir1/dot': 'sample' },
    resolves: { 'dir1/chain': 'dir1/sample.txt', '/dir1/dot': 'dir1/sample.txt' },
    types: { 'dir1/chain': 'symlink' },
  },
  {
    name: 'clamps .. at the image root instead of leaving it',
    layers: [
      [
        d('etc/'),
        f('etc/passwd', 'image passwd'),
        d('a/'),
        d('a/b/'),
        sym('a/b/up', '../../../../../etc/passwd'),
      ],
    ],
    want: wantAll,
    resolves: { 'a/b/up': 'etc/passwd', '../../etc/passwd': 'etc/passwd' },
    files: { 'a/b/up': 'image passwd' },
  },
  {
    name: 'takes absolute symlink targets relative to the image root',
    layers: [[sym('hostile', '/etc/shadow'), sym('found', '/present'), f('present', 'inside')]],
    want: wantAll,
    resolves: { hostile: undefined, found: 'present' },
    files: { hostile: undefined, found: 'inside' },
  },
  {
    name: 'gives up on symlink cycles',
    layers: [[sym('a', 'b'), sym('b', 'a'), sym('self', 'self'), sym('c/..', 'x')]],
    want: wantAll,
    resolves: { a: undefined, self: undefined, 'a/x': undefined },
    files: { a: undefined },
  },
  {
    name: 'gives up when a chain is longer than maxSymlinkHops',
    layers: [[f('target', 't'), sym('l1', 'target'), sym('l2', 'l1'), sym('l3', 'l2'), sym('l4', 'l3')]],
    limits: { maxSymlinkHops: 3 },
    want: wantAll,
    resolves: { l3: 'target', l4: undefined },
    files: { l3: 't', l4: undefined },
  },
  {
    name: 'follows symlinks in intermediate components (lib -> usr/lib)',
    layers: [
      [
        d('usr/'),
        d('usr/lib/'),
        f('usr/lib/os-release', 'ID=test'),
        sym('lib', 'usr/lib'),
        sym('etc/os-release', '../lib/os-release'),
      ],
    ],
    want: (p) => p === 'usr/lib/os-release',
    resolves: {
      'lib/os-release': 'usr/lib/os-release',
      'etc/os-release': 'usr/lib/os-release',
      'lib/missing': undefined,
    },
    files: { 'lib/os-release': 'ID=test', 'etc/os-release': 'ID=test' },
    opens: [1],
  },
  {
    name: 'a non-directory in the middle of a path does not resolve',
    layers: [[f('file', 'x'), sym('link', 'file/..')]],
    resolves: { 'file/x': undefined, 'file/..': undefined, link: undefined },
  },
  {
    name: 'reads an unwanted target of a wanted symlink in a second pass over its layer only',
    layers: [
      [d('usr/'), d('usr/lib/'), f('usr/lib/os-release', 'ID=debian')],
      [d('etc/'), sym('etc/os-release', '../usr/lib/os-release')],
      [f('other')],
    ],
    want: (p) => p === 'etc/os-release',
    files: { 'etc/os-release': 'ID=debian', 'usr/lib/os-release': 'ID=debian' },
    opens: [2, 1, 1],
  },
  {
    name: 'keeps the target of a wanted symlink that comes later in the stream without a second pass',
    layers: [
      [sym('lib', 'usr/lib'), sym('etc/os-release', '../lib/os-release'), sym('etc/chain', 'os-release')],
      [f('usr/lib/os-release', 'ID=later')],
    ],
    want: (p) => p === 'etc/chain',
    files: { 'etc/chain': 'ID=later', 'etc/os-release': 'ID=later' },
    opens: [1, 1],
  },
  {
    name: 'a wrong guess about a later symlink target still ends in the right content',
    layers: [
      [sym('etc/os-release', '../lib/os-release')],
      [f('usr/lib/os-release', 'ID=moved'), sym('lib', 'usr/lib')],
    ],
    want: (p) => p === 'etc/os-release',
    files: { 'etc/os-release': 'ID=moved' },
    opens: [1, 2],
  },
  {
    name: 'reads a file wanted under a symlinked-directory alias in a second pass',
    layers: [[d('usr/'), d('usr/lib/'), f('usr/lib/x', 'via alias'), sym('lib', 'usr/lib')]],
    want: (p) => p === 'lib/x',
    files: { 'lib/x': 'via alias' },
    opens: [2],
  },
  {
    name: 'resolves hard links to their target content and metadata',
    layers: [
      [
        d('bin/'),
        { name: 'bin/a', content: 'binary', mode: 0o4755, uid: 7 },
        hard('bin/b', 'bin/a'),
        hard('bin/c', '/bin/b'),
      ],
    ],
    want: wantAll,
    types: { 'bin/b': 'hardlink', 'bin/c': 'hardlink' },
    files: { 'bin/b': 'binary', 'bin/c': 'binary' },
    opens: [1],
  },
  {
    name: 'reads a wanted hard link to an earlier unwanted file in a second pass',
    layers: [[f('usr/bin/perl5.36', 'perl'), hard('usr/bin/perl', 'usr/bin/perl5.36')], [f('unrelated')]],
    want: (p) => p === 'usr/bin/perl',
    files: { 'usr/bin/perl': 'perl' },
    opens: [2, 1],
  },
  {
    name: 'a hard link to a lower-layer file keeps that content when the file is later replaced',
    layers: [[f('a', 'original')], [hard('b', 'a'), f('a', 'replaced')]],
    want: (p) => p === 'b',
    files: { b: 'original' },
    opens: [2, 1],
  },
  {
    name: 'skips hard links to missing, escaping or directory targets with warnings',
    layers: [
      [d('dir/'), hard('to-missing', 'nope'), hard('to-escape', '../../etc/shadow'), hard('to-dir', 'dir')],
    ],
    want: wantAll,
    paths: ['dir'],
    warnings: [/to-missing.*does not exist/, /to-escape.*escapes the image root/, /to-dir.*is a directory/],
  },
  {
    name: 'a hard link to a symlink is that symlink again',
    layers: [[f('t', 'target'), sym('s', 't'), hard('h', 's')]],
    want: wantAll,
    types: { h: 'symlink' },
    files: { h: 'target' },
  },
  {
    name: 'skips entries that climb out of the root, with a warning each, and strips leading slashes',
    layers: [
      [f('../evil', 'x'), f('a/../../evil2', 'x'), f('/abs/file', 'kept'), f('./dot/file', 'kept too')],
    ],
    want: wantAll,
    paths: ['abs', 'abs/file', 'dot', 'dot/file'],
    files: { 'abs/file': 'kept', evil: undefined },
    warnings: [/"\.\.\/evil".*escapes the image root/, /"a\/\.\.\/\.\.\/evil2".*escapes/],
  },
  {
    name: 'keeps long names written as pax records',
    layers: [[f(`${'long-directory-name/'.repeat(8)}file`, 'deep')]],
    want: wantAll,
    files: { [`${'long-directory-name/'.repeat(8)}file`]: 'deep' },
  },
  {
    name: 'lists devices and fifos with their types',
    layers: [
      [
        d('dev/'),
        { name: 'dev/null', type: 'character-device' },
        { name: 'dev/sda', type: 'block-device' },
        { name: 'run/fifo', type: 'fifo' },
      ],
    ],
    types: { 'dev/null': 'char', 'dev/sda': 'block', 'run/fifo': 'fifo' },
  },
];

describe('readImageFiles on layered images', () => {
  it.each(cases)('$name', async (c) => {
    const { image, log } = await imageOf(...c.layers);
    const tree = await readImageFiles(image, {
      ...(c.want ? { want: c.want } : {}),
      ...(c.limits ? { limits: c.limits } : {}),
    });
    const paths = tree.entries().map((e) => e.path);
    if (c.paths) expect(paths).toEqual(c.paths);
    expect(paths.some((p) => p.split('/').some((s) => s.startsWith('.wh.')))).toBe(false);
    for (const p of c.absent ?? []) expect(tree.get(p), p).toBeUndefined();
    for (const [p, type] of Object.entries(c.types ?? {})) expect(tree.get(p)?.type, p).toBe(type);
    for (const [p, content] of Object.entries(c.files ?? {}))
      expect(tree.readFile(p)?.toString(), p).toBe(content);
    for (const [p, target] of Object.entries(c.resolves ?? {})) expect(tree.resolve(p)?.path, p).toBe(target);
    for (const [p, layer] of Object.entries(c.layerOf ?? {})) expect(tree.get(p)?.layerIndex, p).toBe(layer);
    expect(tree.warnings).toHaveLength(c.warnings?.length ?? 0);
    for (const [i, re] of (c.warnings ?? []).entries()) expect(tree.warnings[i]).toMatch(re);
    if (c.opens) expect(log.opens).toEqual(c.opens);
  });

  it('returns entries sorted by path with the layer, diffID and history step that wrote them', async () => {
    const { image } = await imageOf([f('b'), f('a-c'), d('a/'), f('a/b')], [f('b', 'again')]);
    const tree = await readImageFiles(image);
    expect(tree.entries().map((e) => e.path)).toEqual(['a', 'a-c', 'a/b', 'b']);
    const b = tree.get('b');
    expect(b).toMatchObject({
      type: 'file',
      layerIndex: 1,
      diffID: image.layers[1]?.diffID,
      createdBy: 'step 1',
      size: 5,
    });
    expect(b?.mtime?.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(tree.get('a/b')).toMatchObject({ mode: 0o644, uid: 0, gid: 0, diffID: image.layers[0]?.diffID });
  });

  it('reports a hard link with its raw link name and its target size and mode', async () => {
    const { image } = await imageOf([{ name: 'a', content: '12345', mode: 0o750 }, hard('b', '/a')]);
    const tree = await readImageFiles(image);
    expect(tree.get('b')).toMatchObject({ type: 'hardlink', linkTarget: '/a', size: 5, mode: 0o750 });
  });

  it('keeps the raw symlink target and answers lookups with or without leading slash', async () => {
    const { image } = await imageOf([sym('etc/link', '../../x/./y')]);
    const tree = await readImageFiles(image);
    expect(tree.get('/etc/link')?.linkTarget).toBe('../../x/./y');
    expect(tree.get('etc//link/')?.type).toBe('symlink');
    expect(tree.get('')?.type).toBe('dir');
    expect(tree.get('x\0')).toBeUndefined();
    expect(tree.resolve('x\0')).toBeUndefined();
  });

  it('skips a name with a NUL byte from a pax path record, with a warning', async () => {
    const tar = Buffer.concat([paxFileEntry('etc/passwd\0.txt', 'x'), await makeTar([f('ok')])]);
    const { image } = makeImage([{ tar }]);
    const tree = await readImageFiles(image, { want: wantAll });
    expect(tree.entries().map((e) => e.path)).toEqual(['ok']);
    expect(tree.warnings).toHaveLength(1);
    expect(tree.warnings[0]).toMatch(/NUL byte/);
  });

  it('reads GNU long names and long link names written by GNU tar', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-gnu-'));
    try {
      const long = `${'a-rather-long-directory-name/'.repeat(5)}and-a-file-name-too`;
      await mkdir(path.join(dir, 'root', path.dirname(long)), { recursive: true });
      await writeFile(path.join(dir, 'root', long), 'gnu');
      await promisify(execFile)('ln', ['-s', long, path.join(dir, 'root', 'link')]);
      await promisify(execFile)('tar', [
        '--format=gnu',
        '-cf',
        path.join(dir, 'layer.tar'),
        '-C',
        path.join(dir, 'root'),
        '.',
      ]);
      const { image } = makeImage([{ tar: await readFile(path.join(dir, 'layer.tar')) }]);
      const tree = await readImageFiles(image, { want: wantAll });
      expect(tree.get('link')?.linkTarget).toBe(long);
      expect(tree.readFile('link')?.toString()).toBe('gnu');
      expect(tree.warnings).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('caps the search for wanted aliases when many symlinks point at the root', async () => {
    const entries: TarSpec[] = files(1000);
    for (let i = 0; i < 200; i++) entries.push(sym(`loop${i}`, '/'));
    const { image } = await imageOf(entries);
    const asked: string[] = [];
    const tree = await readImageFiles(image, {
      want: (p) => {
        asked.push(p);
        return false;
      },
    });
    expect(asked.length).toBeLessThanOrEqual(100_000 + 1200);
    expect(tree.warnings).toEqual([
      'stopped looking for wanted files behind symlinked directories after 100000 paths',
    ]);
  });

  it('reads a layer with many entries delivered in tiny chunks', async () => {
    const entries: TarSpec[] = [];
    for (let i = 0; i < 300; i++) entries.push(f(`dir${i % 7}/file${i}`, `content ${i}`));
    const tar = await makeTar(entries);
    const { image } = makeImage([{ tar, chunkSize: 7 }]);
    const tree = await readImageFiles(image, { want: (p) => p.endsWith('file299') });
    expect(tree.entries()).toHaveLength(307);
    expect(tree.readFile('dir5/file299')?.toString()).toBe('content 299');
  });
});
