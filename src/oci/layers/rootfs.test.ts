import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RootfsImage } from '../image.js';
import { readImageFiles } from './index.js';

let base: string;
let root: string;
let image: RootfsImage;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'portcullis-rootfs-'));
  root = path.join(base, 'root');
  // Something outside the root that symlinks inside it try to reach.
  await writeFile(path.join(base, 'secret'), 'outside the root');
  for (const dir of ['etc', 'usr/lib', 'var/lib/dpkg', 'run'])
    await mkdir(path.join(root, dir), { recursive: true });
  await writeFile(path.join(root, 'usr/lib/os-release'), 'ID=rootfs\n');
  await writeFile(path.join(root, 'var/lib/dpkg/status'), 'Package: base-files\n');
  await writeFile(path.join(root, 'etc/hostname'), 'inside\n');
  await writeFile(path.join(root, 'big'), Buffer.alloc(4096, 1));
  await symlink('../usr/lib/os-release', path.join(root, 'etc/os-release'));
  await symlink('usr/lib', path.join(root, 'lib'));
  await symlink('/etc/hostname', path.join(root, 'absolute'));
  await symlink('../../../../secret', path.join(root, 'climb'));
  await symlink(path.join(base, 'secret'), path.join(root, 'host-absolute'));
  execFileSync('mkfifo', [path.join(root, 'run/fifo')]);
  image = { kind: 'rootfs', source: 'rootfs', reference: `rootfs:${root}`, root };
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('readImageFiles on a rootfs directory', () => {
  it('lists every path with lstat metadata, as layer -1 without a diffID', async () => {
    const tree = await readImageFiles(image);
    expect(tree.entries().map((e) => e.path)).toEqual([
      'absolute',
      'big',
      'climb',
      'etc',
      'etc/hostname',
      'etc/os-release',
      'host-absolute',
      'lib',
      'run',
      'run/fifo',
      'usr',
      'usr/lib',
      'usr/lib/os-release',
      'var',
      'var/lib',
      'var/lib/dpkg',
      'var/lib/dpkg/status',
    ]);
    expect(tree.get('etc/os-release')).toMatchObject({
      type: 'symlink',
      linkTarget: '../usr/lib/os-release',
      size: 0,
    });
    expect(tree.get('run/fifo')?.type).toBe('fifo');
    expect(tree.get('big')).toMatchObject({
      type: 'file',
      size: 4096,
      layerIndex: -1,
      diffID: undefined,
      createdBy: undefined,
    });
    expect(tree.get('big')?.mtime).toBeInstanceOf(Date);
    expect(tree.warnings).toEqual([]);
  });

  it('reads wanted files, including through symlinks resolved inside the root', async () => {
    const tree = await readImageFiles(image, {
      want: (p) =>
        p === 'var/lib/dpkg/status' || p === 'etc/os-release' || p === 'absolute' || p === 'lib/os-release',
    });
    expect(tree.readFile('var/lib/dpkg/status')?.toString()).toBe('Package: base-files\n');
    expect(tree.readFile('etc/os-release')?.toString()).toBe('ID=rootfs\n');
    expect(tree.readFile('lib/os-release')?.toString()).toBe('ID=rootfs\n');
    expect(tree.readFile('absolute')?.toString()).toBe('inside\n');
    expect(tree.readFile('big')).toBeUndefined();
  });

  it('never follows a symlink out of the root', async () => {
    const tree = await readImageFiles(image, { want: () => true });
    expect(tree.resolve('climb')).toBeUndefined();
    expect(tree.readFile('climb')).toBeUndefined();
    expect(tree.resolve('host-absolute')).toBeUndefined();
    expect(tree.readFile('host-absolute')).toBeUndefined();
    expect(tree.readFile('run/fifo')).toBeUndefined();
  });

  it('fails with LIMIT_EXCEEDED for a wanted file over maxFileBytes and for too many entries', async () => {
    await expect(
      readImageFiles(image, { want: (p) => p === 'big', limits: { maxFileBytes: 1024 } }),
    ).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      message: expect.stringContaining('limits.maxFileBytes') as unknown,
    });
    await expect(readImageFiles(image, { limits: { maxEntries: 5 } })).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      message: expect.stringContaining('maxEntries limit of 5') as unknown,
    });
  });

  it('fails with SOURCE_INVALID when the root is not a directory', async () => {
    const file = { ...image, root: path.join(root, 'big') };
    await expect(readImageFiles(file)).rejects.toMatchObject({ code: 'SOURCE_INVALID' });
    const missing = { ...image, root: path.join(base, 'nope') };
    await expect(readImageFiles(missing)).rejects.toMatchObject({ code: 'SOURCE_INVALID' });
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(readImageFiles(image, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
