// A real Debian 12 image (debootstrap --variant=minbase, packaged with umoci by the test
// set-up) read through the image sources and the layer reader, checked against the root
// filesystem it was made from.
import { readdir, readFile, readlink, lstat } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { debianFixture } from '../testing/fixtures.js';
import { openImageSource, readImageFiles, type FileTree, type Image } from './index.js';

const noRegistry = () => {
  throw new Error('this test reads local images only');
};

const { rootfs, layout } = debianFixture();

async function readTag(tag: string, want: (p: string) => boolean): Promise<{ image: Image; tree: FileTree }> {
  const source = await openImageSource(`oci:${layout}:${tag}`, { registry: noRegistry });
  try {
    const image = await source.open();
    return { image, tree: await readImageFiles(image, { want }) };
  } finally {
    await source.close();
  }
}

/** Every path under `root` with its type, as the layer reader names them. */
async function walk(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function visit(rel: string): Promise<void> {
    for (const d of await readdir(path.join(root, rel), { withFileTypes: true })) {
      const p = rel === '' ? d.name : `${rel}/${d.name}`;
      const type = d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : d.isFile() ? 'file' : 'other';
      out.set(p, type);
      if (d.isDirectory()) await visit(p);
    }
  }
  await visit('');
  return out;
}

describe('Debian 12 image through the layer reader', () => {
  let base: { image: Image; tree: FileTree };
  beforeAll(async () => {
    base = await readTag('bookworm', (p) => p === 'var/lib/dpkg/status' || p === 'etc/os-release');
  });

  it('merges var/lib/dpkg/status byte-identical to the root filesystem', async () => {
    const expected = await readFile(path.join(rootfs, 'var/lib/dpkg/status'));
    expect(expected.length).toBeGreaterThan(10_000);
    expect(base.tree.readFile('var/lib/dpkg/status')?.equals(expected)).toBe(true);
  });

  it('follows etc/os-release to usr/lib/os-release inside the image', async () => {
    expect(await readlink(path.join(rootfs, 'etc/os-release'))).toBe('../usr/lib/os-release');
    const content = base.tree.readFile('etc/os-release')?.toString('utf8');
    expect(content).toContain('VERSION_CODENAME=bookworm');
    expect(content).toBe(await readFile(path.join(rootfs, 'usr/lib/os-release'), 'utf8'));
  });

  it('lists exactly the files of the root filesystem, with the same types', async () => {
    const onDisk = await walk(rootfs);
    const inImage = new Map(
      base.tree
        .entries()
        .filter((e) => e.path !== '')
        .map((e) => [e.path, e.type === 'hardlink' ? 'file' : e.type] as const),
    );
    const normalize = (m: Map<string, string>) =>
      new Map([...m].map(([k, v]) => [k, v === 'other' ? 'special' : v]));
    const special = (t: string) => (t === 'char' || t === 'block' || t === 'fifo' ? 'special' : t);
    expect(new Map([...inImage].map(([k, v]) => [k, special(v)]))).toEqual(normalize(onDisk));
  });

  it('records the layer and history step that wrote each file', () => {
    const e = base.tree.get('var/lib/dpkg/status');
    expect(e?.layerIndex).toBe(0);
    expect(e?.diffID).toBe(base.image.kind === 'layered' ? base.image.layers[0]?.diffID : undefined);
  });

  it('honours a layer that deletes a file and a directory (whiteouts from umoci repack)', async () => {
    const { tree } = await readTag('bookworm-whiteout', () => false);
    expect((await lstat(path.join(rootfs, 'etc/issue.net'))).isFile()).toBe(true);
    expect(tree.get('etc/issue.net')).toBeUndefined();
    expect(tree.get('usr/share/doc/apt')).toBeUndefined();
    expect(tree.entries().some((e) => e.path.startsWith('usr/share/doc/apt/'))).toBe(false);
    expect(tree.entries().some((e) => e.path.includes('.wh.'))).toBe(false);
    expect(tree.get('etc/issue')?.type).toBe('file');
    expect(tree.get('usr/share/doc/dpkg')?.type).toBe('dir');
  });

  it('honours a layer that makes etc/apt/apt.conf.d opaque', async () => {
    const { tree } = await readTag('bookworm-opaque', (p) => p.startsWith('etc/apt/apt.conf.d/'));
    const lower = await readdir(path.join(rootfs, 'etc/apt/apt.conf.d'));
    expect(lower.length).toBeGreaterThan(0);
    const children = tree.entries().filter((e) => e.path.startsWith('etc/apt/apt.conf.d/'));
    expect(children.map((e) => e.path)).toEqual(['etc/apt/apt.conf.d/99portcullis']);
    expect(tree.readFile('etc/apt/apt.conf.d/99portcullis')?.toString()).toBe(
      'APT::Install-Recommends "false";\n',
    );
    expect(tree.get('etc/apt/apt.conf.d/99portcullis')?.layerIndex).toBe(2);
    expect(tree.get('etc/apt/sources.list.d')?.type).toBe('dir');
  });

  it('reads the same files from rootfs:DIR as from the image', async () => {
    const source = await openImageSource(`rootfs:${rootfs}`, { registry: noRegistry });
    const image = await source.open();
    const tree = await readImageFiles(image, { want: (p) => p === 'var/lib/dpkg/status' });
    await source.close();
    expect(tree.entries().map((e) => e.path)).toEqual(base.tree.entries().map((e) => e.path));
    expect(
      tree
        .readFile('var/lib/dpkg/status')
        ?.equals(base.tree.readFile('var/lib/dpkg/status') ?? Buffer.alloc(0)),
    ).toBe(true);
  });
});
