import { describe, expect, it } from 'vitest';
import { imageOf } from '../testing/layer-images.js';
import { imageOfFiles } from '../testing/inventory-trees.js';
import { defaultAnalyzers } from './analyzers.js';
import { InventoryError } from './errors.js';
import { buildInventory, comparePackages } from './inventory.js';
import { toPurl } from './purl.js';
import type { Analyzer, AnalyzerContext, Package, PackageLocation, PackageType } from './types.js';

const NOWHERE: PackageLocation = { path: 'x', layerIndex: 0, diffID: undefined, createdBy: undefined };

function pkg(type: PackageType, name: string, version: string, extra: Partial<Package> = {}): Package {
  return {
    type,
    name,
    version,
    purl: toPurl({ type, name, version }),
    licenses: [],
    location: NOWHERE,
    ...extra,
  };
}

/** An analyzer that records the context it was given and returns `result`. */
function recording(
  id: string,
  options: Pick<Analyzer, 'wants' | 'summarize'> & { result?: (ctx: AnalyzerContext) => Package[] } = {},
): Analyzer & { seen: AnalyzerContext[] } {
  const seen: AnalyzerContext[] = [];
  return {
    id,
    seen,
    ...(options.wants === undefined ? {} : { wants: options.wants }),
    ...(options.summarize === undefined ? {} : { summarize: options.summarize }),
    analyze(ctx) {
      seen.push(ctx);
      return { packages: options.result?.(ctx) ?? [] };
    },
  };
}

describe('buildInventory', () => {
  it('reads every layer once for the OS detector and all analyzers together', async () => {
    const { image, log } = await imageOf(
      [
        { name: 'etc/alpine-release', content: '3.19.1\n' },
        { name: 'a/one', content: 'first' },
      ],
      [{ name: 'b/two', content: 'second' }],
    );
    const a = recording('a', { wants: (p) => p === 'a/one' });
    const b = recording('b', { wants: (p) => p.startsWith('b/') });
    const inv = await buildInventory(image, { analyzers: [a, b] });
    expect(log.opens).toEqual([1, 1]);
    expect(inv.os).toMatchObject({ family: 'alpine', version: '3.19.1' });
    expect(a.seen[0]?.os).toEqual(inv.os);
    expect(a.seen[0]?.read('a/one')?.toString()).toBe('first');
    expect(b.seen[0]?.read('b/two')?.toString()).toBe('second');
  });

  it('lets an analyzer read only what it asked for, and lists only its paths that exist, sorted, without directories', async () => {
    const image = await imageOfFiles({
      'app/z.json': '{}',
      'app/a.json': '{}',
      'app/sub': { dir: true },
      'other/x': 'not mine',
    });
    const mine = recording('mine', { wants: (p) => p.startsWith('app/') || p === 'app/missing.json' });
    const other = recording('other', { wants: (p) => p === 'other/x' });
    await buildInventory(image, { analyzers: [mine, other] });
    const ctx = mine.seen[0];
    expect(ctx?.paths).toEqual(['app/a.json', 'app/z.json']);
    expect(ctx?.read('other/x')).toBeUndefined();
    expect(other.seen[0]?.read('other/x')?.toString()).toBe('not mine');
  });

  it('locates a path by the layer that last wrote it, with its diffID and history step', async () => {
    const { image } = await imageOf(
      [
        { name: 'usr/lib/x', content: '1' },
        { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
      ],
      [{ name: 'usr/lib/x', content: '2' }],
    );
    const a = recording('a', { wants: () => false });
    await buildInventory(image, { analyzers: [a] });
    const ctx = a.seen[0];
    const expected = { layerIndex: 1, diffID: image.layers[1]?.diffID, createdBy: 'step 1' };
    expect(ctx?.location('usr/lib/x')).toEqual({ path: 'usr/lib/x', ...expected });
    // Through a symlinked directory the file is found where it really is.
    expect(ctx?.location('lib/x')).toEqual({ path: 'lib/x', ...expected });
    expect(ctx?.location('nope')).toEqual({
      path: 'nope',
      layerIndex: -1,
      diffID: undefined,
      createdBy: undefined,
    });
  });

  it('gives each analyzer its own summary of a file both summarize; a throwing reducer costs only its own result', async () => {
    const image = await imageOfFiles({ 'bin/app': 'ELF-binary', 'bin/tool': 'tool' });
    const sizes = recording('sizes', {
      summarize: (path, meta) => (path.startsWith('bin/') ? () => meta.size : undefined),
    });
    const heads = recording('heads', {
      summarize: (path) => (path === 'bin/app' ? (c) => c.subarray(0, 3).toString() : undefined),
    });
    const broken = recording('broken', {
      summarize: (path) =>
        path === 'bin/app'
          ? () => {
              throw new Error('bad binary');
            }
          : undefined,
    });
    const inv = await buildInventory(image, { analyzers: [sizes, heads, broken] });
    expect(sizes.seen[0]?.paths).toEqual(['bin/app', 'bin/tool']);
    expect(sizes.seen[0]?.summary('bin/app')).toBe(10);
    expect(sizes.seen[0]?.summary('bin/tool')).toBe(4);
    expect(heads.seen[0]?.paths).toEqual(['bin/app']);
    expect(heads.seen[0]?.summary('bin/app')).toBe('ELF');
    expect(heads.seen[0]?.summary('bin/tool')).toBeUndefined();
    // Content is not kept for summarized files.
    expect(sizes.seen[0]?.read('bin/app')).toBeUndefined();
    expect(broken.seen[0]?.summary('bin/app')).toBeUndefined();
    expect(inv.warnings).toEqual(['broken: could not summarize bin/app: bad binary']);
  });

  it('turns an analyzer that throws or rejects into a gap and keeps the others', async () => {
    const image = await imageOfFiles({ f: 'x' });
    const throwing: Analyzer = {
      id: 'throwing',
      analyze() {
        throw new Error('boom');
      },
    };
    const rejecting: Analyzer = { id: 'rejecting', analyze: () => Promise.reject(new Error('later boom')) };
    const fine = recording('fine', { result: () => [pkg('cargo', 'rand', '0.8.5')] });
    const inv = await buildInventory(image, { analyzers: [throwing, rejecting, fine] });
    expect(inv.packages.map((p) => p.name)).toEqual(['rand']);
    expect(inv.gaps).toEqual([
      { analyzer: 'throwing', path: '', reason: 'analyzer failed: boom' },
      { analyzer: 'rejecting', path: '', reason: 'analyzer failed: later boom' },
    ]);
  });

  it("collects analyzers' gaps, and their warnings prefixed with the analyzer id", async () => {
    const image = await imageOfFiles({ f: 'x' });
    const a: Analyzer = {
      id: 'a',
      analyze: () => ({
        packages: [],
        gaps: [{ analyzer: 'a', path: 'f', reason: 'unreadable' }],
        warnings: ['odd line'],
      }),
    };
    expect(await buildInventory(image, { analyzers: [a] })).toMatchObject({
      gaps: [{ analyzer: 'a', path: 'f', reason: 'unreadable' }],
      warnings: ['a: odd line'],
    });
  });

  it('drops language packages found at paths an OS package owns, also through symlinked directories', async () => {
    const image = await imageOfFiles({
      'usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA': 'Name: six',
      'usr/lib/python3/dist-packages/yaml.dist-info/METADATA': 'Name: PyYAML',
      lib: { symlink: 'usr/lib' },
      'app/requirements.txt': 'six==1.16.0',
    });
    const at = (path: string): PackageLocation => ({ ...NOWHERE, path });
    const os = recording('os', {
      result: () => [
        pkg('deb', 'python3-six', '1.16.0-4', {
          files: ['usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA'],
        }),
        // dpkg may name a file through a symlinked directory.
        pkg('deb', 'python3-yaml', '6.0-3', { files: ['lib/python3/dist-packages/yaml.dist-info/METADATA'] }),
      ],
    });
    const lang = recording('python', {
      result: () => [
        pkg('pypi', 'six', '1.16.0', {
          location: at('usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA'),
        }),
        pkg('pypi', 'PyYAML', '6.0', {
          location: at('usr/lib/python3/dist-packages/yaml.dist-info/METADATA'),
        }),
        pkg('pypi', 'six', '1.16.0', { location: at('app/requirements.txt'), declaredOnly: true }),
      ],
    });
    const inv = await buildInventory(image, { analyzers: [os, lang] });
    expect(inv.packages.map((p) => `${p.type}:${p.name}@${p.location.path}`)).toEqual([
      'deb:python3-six@x',
      'deb:python3-yaml@x',
      'pypi:six@app/requirements.txt',
    ]);
  });

  it('orders packages by type, namespace, name, version, arch and location whatever order analyzers give', async () => {
    const image = await imageOfFiles({ f: 'x' });
    const at = (path: string): PackageLocation => ({ ...NOWHERE, path });
    const given = [
      pkg('npm', 'b', '1.0.0'),
      pkg('deb', 'zlib1g', '1:1.2.13', { arch: 'amd64' }),
      pkg('npm', 'a', '2.0.0', { location: at('z/package.json') }),
      pkg('npm', 'a', '2.0.0', { location: at('a/package.json') }),
      pkg('npm', 'core', '7.0.0', { namespace: '@babel' }),
      pkg('deb', 'zlib1g', '1:1.2.13', { arch: 'i386' }),
      pkg('npm', 'a', '10.0.0'),
      pkg('apk', 'musl', '1.2.4-r2'),
    ];
    const one = recording('one', { result: () => given.slice(0, 4) });
    const two = recording('two', { result: () => given.slice(4) });
    const inv = await buildInventory(image, { analyzers: [two, one] });
    expect(
      inv.packages.map(
        (p) => `${p.type} ${p.namespace ?? ''} ${p.name} ${p.version} ${p.arch ?? ''} ${p.location.path}`,
      ),
    ).toEqual([
      'apk  musl 1.2.4-r2  x',
      'deb  zlib1g 1:1.2.13 amd64 x',
      'deb  zlib1g 1:1.2.13 i386 x',
      'npm  a 10.0.0  x',
      'npm  a 2.0.0  a/package.json',
      'npm  a 2.0.0  z/package.json',
      'npm  b 1.0.0  x',
      'npm @babel core 7.0.0  x',
    ]);
    expect([...given].sort(comparePackages)).toEqual(inv.packages);
  });

  it('refuses two analyzers with one id (ANALYZER_DUPLICATE)', async () => {
    const image = await imageOfFiles({ f: 'x' });
    await expect(
      buildInventory(image, { analyzers: [recording('same'), recording('same')] }),
    ).rejects.toSatisfy(
      (e) => e instanceof InventoryError && e.code === 'ANALYZER_DUPLICATE' && e.message.includes('"same"'),
    );
  });

  it('stops with the abort reason when the signal is aborted', async () => {
    const image = await imageOfFiles({ f: 'x' });
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await expect(buildInventory(image, { signal: controller.signal })).rejects.toThrow('stop now');
  });

  it('stops, rather than reporting a gap, when aborted while an analyzer runs', async () => {
    const image = await imageOfFiles({ f: 'x' });
    const controller = new AbortController();
    const aborting: Analyzer = {
      id: 'aborting',
      analyze() {
        controller.abort(new Error('cancelled'));
        throw new Error('interrupted');
      },
    };
    await expect(buildInventory(image, { analyzers: [aborting], signal: controller.signal })).rejects.toThrow(
      'cancelled',
    );
  });

  it('runs the dpkg and apk analyzers by default', () => {
    expect(defaultAnalyzers.map((a) => a.id)).toEqual(expect.arrayContaining(['dpkg', 'apk']));
  });
});
