// Real `docker save` tarballs and layers from go-containerregistry and osv-scalibr (see
// ../shared/data/image-fixtures/SOURCES.md), read with the diff_ids of their own configs.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Limits } from '../../core/index.js';
import { readImageFiles, type FileType } from './index.js';
import { sharedData } from '../../testing/fixtures.js';
import { dockerSaveImage, makeImage } from '../../testing/layer-images.js';

type FixtureCase = {
  readonly name: string;
  /** A docker-save tarball, or a bare layer tar when `bareLayer` is set. */
  readonly file: string;
  readonly bareLayer?: boolean;
  readonly limits?: Partial<Limits>;
  readonly paths?: readonly string[];
  readonly types?: Readonly<Record<string, FileType>>;
  readonly files?: Readonly<Record<string, string | undefined>>;
  readonly resolves?: Readonly<Record<string, string | undefined>>;
  readonly warnings?: number;
};

const SAMPLE = 'sample text file\n';

const cases: FixtureCase[] = [
  {
    name: 'ggcr whiteout_image: a whiteout file in the second of three layers',
    file: 'ggcr/whiteout_image.tar',
    paths: ['bar.txt'],
  },
  {
    name: 'ggcr whiteout_dir: a directory whited out, then recreated with new content (gzip layers)',
    file: 'ggcr/whiteout_dir.tar',
    paths: ['a', 'a/baz', 'b', 'b/bar'],
  },
  {
    name: 'ggcr overwritten_file: a file replaced by a symlink in a later layer',
    file: 'ggcr/overwritten_file.tar',
    types: { 'foo.txt': 'symlink' },
    resolves: { 'foo.txt': 'bar.txt' },
    paths: ['bar.txt', 'foo.txt'],
  },
  {
    name: 'scalibr overwrite-file: the upper layer wins',
    file: 'scalibr/layerscanning/image/testdata/overwrite-file.tar',
    files: { 'sample.txt': 'overwritten sample text file\n' },
  },
  {
    name: 'scalibr basic: files from two layers',
    file: 'scalibr/layerscanning/image/testdata/basic.tar',
    paths: ['larger-sample.txt', 'sample.txt'],
    files: { 'sample.txt': SAMPLE },
  },
  {
    name: 'scalibr multiple-files: a directory in the second layer',
    file: 'scalibr/layerscanning/image/testdata/multiple-files.tar',
    paths: ['dir1', 'dir1/bar.txt', 'dir1/baz.txt', 'foo.txt'],
  },
  {
    name: 'scalibr symlink-basic: relative, ./ and absolute links and a chain',
    file: 'scalibr/layerscanning/image/testdata/symlink-basic.tar',
    files: {
      'dir1/absolute-symlink.txt': 'sample text\n',
      'dir1/chain-symlink.txt': 'sample text\n',
      'dir1/relative-dot-symlink.txt': 'sample text\n',
      'dir1/relative-symlink.txt': 'sample text\n',
    },
  },
  {
    name: 'scalibr symlinks: links across layers and through ../ stay inside the root',
    file: 'scalibr/unpack/testdata/symlinks.tar',
    resolves: {
      'dir2/dir3/absolute-chain-symlink.txt': 'dir1/sample.txt',
      'dir2/dir3/absolute-symlink-inside-root.txt': 'dir1/sample.txt',
      'dir2/dir3/relative-subfolder-symlink.txt': 'dir1/sample.txt',
      'dir1/attack-symlink.txt': undefined,
      'dir1/attack-symlink-absolute.txt': undefined,
    },
    files: { 'dir2/dir3/absolute-chain-symlink.txt': 'sample text\n' },
  },
  {
    name: 'scalibr symlink-attack: links that climb out of the root resolve to nothing',
    file: 'scalibr/layerscanning/image/testdata/symlink-attack.tar',
    resolves: { 'dir1/attack-symlink.txt': undefined, 'dir1/attack-symlink-absolute.txt': undefined },
    files: { 'dir1/attack-symlink.txt': undefined },
  },
  {
    name: 'scalibr symlink-cycle: a cycle of three links resolves to nothing',
    file: 'scalibr/layerscanning/image/testdata/symlink-cycle.tar',
    resolves: { 'dir1/sample.txt': undefined, 'dir1/chain-symlink.txt': undefined },
  },
  {
    name: 'scalibr symlink-depth-exceeded: seven hops resolve by default',
    file: 'scalibr/layerscanning/image/testdata/symlink-depth-exceeded.tar',
    resolves: { 'dir1/symlink7.txt': 'dir1/sample.txt' },
    files: { 'dir1/symlink7.txt': 'sample text\n' },
  },
  {
    name: 'scalibr symlink-depth-exceeded: seven hops are too many with maxSymlinkHops 6',
    file: 'scalibr/layerscanning/image/testdata/symlink-depth-exceeded.tar',
    limits: { maxSymlinkHops: 6 },
    resolves: { 'dir1/symlink7.txt': undefined, 'dir1/symlink6.txt': 'dir1/sample.txt' },
    files: { 'dir1/symlink7.txt': undefined },
  },
  {
    name: 'scalibr symlink-dangling: links to a file that no layer has',
    file: 'scalibr/layerscanning/image/testdata/symlink-dangling.tar',
    resolves: { 'dir1/relative-symlink.txt': undefined, 'dir2/dir3/absolute-chain-symlink.txt': undefined },
  },
  {
    name: 'scalibr escape: a trampoline of links aimed outside the root stays inside',
    file: 'scalibr/unpack/testdata/escape.tar',
    bareLayer: true,
    types: { escape: 'symlink', trampoline: 'symlink' },
    resolves: {
      'usr/share/doc/a/copyright': '',
      'usr/share/doc/b/copyright': undefined,
      'usr/share/doc/c/copyright': undefined,
      escape: undefined,
    },
    files: { 'usr/share/doc/c/copyright': undefined },
  },
];

describe('real image fixtures', () => {
  const dir = sharedData('image-fixtures');

  it.each(cases)('$name', async (c) => {
    const file = path.join(dir, c.file);
    const { image } = c.bareLayer ? makeImage([{ tar: await readFile(file) }]) : await dockerSaveImage(file);
    const tree = await readImageFiles(image, { want: () => true, ...(c.limits ? { limits: c.limits } : {}) });
    if (c.paths) expect(tree.entries().map((e) => e.path)).toEqual(c.paths);
    for (const [p, type] of Object.entries(c.types ?? {})) expect(tree.get(p)?.type, p).toBe(type);
    for (const [p, content] of Object.entries(c.files ?? {}))
      expect(tree.readFile(p)?.toString(), p).toBe(content);
    for (const [p, target] of Object.entries(c.resolves ?? {})) expect(tree.resolve(p)?.path, p).toBe(target);
    expect(tree.warnings, tree.warnings.join('\n')).toHaveLength(c.warnings ?? 0);
  });

  it('matches the file list GNU tar reports for every layer of the scalibr images', async () => {
    const { image, layerTars } = await dockerSaveImage(
      path.join(dir, 'scalibr/unpack/testdata/symlinks.tar'),
    );
    const tree = await readImageFiles(image);
    const inTars = new Set<string>();
    for (const tar of layerTars) {
      for (const line of execFileSync('tar', ['-t'], { input: tar, encoding: 'utf8' }).split('\n')) {
        const p = line.replace(/\/$/, '');
        if (p !== '') inTars.add(p);
      }
    }
    expect(tree.entries().map((e) => e.path)).toEqual([...inTars].sort());
  });
});
