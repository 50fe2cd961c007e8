import { execFileSync } from 'node:child_process';
import { cpSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImageSource, type Image } from '../../oci/index.js';
import { repoRoot, sharedData } from '../../testing/fixtures.js';
import { imageOfFiles, type TreeFiles } from '../../testing/inventory-trees.js';
import { makeImage } from '../../testing/layer-images.js';
import { buildInventory } from '../inventory.js';
import type { Inventory, Package } from '../types.js';
import { classifyNpmPath, npmAnalyzer, type NpmFileKind } from './npm.js';
import { npmLicenses } from './npm-names.js';
import { packageJsonSchema } from './schema.js';

const inventoryOf = (image: Image): Promise<Inventory> => buildInventory(image, { analyzers: [npmAnalyzer] });

const fullName = (p: Package): string => (p.namespace === undefined ? p.name : `${p.namespace}/${p.name}`);

/** name, version, path, declared-only flag, dev flag of each package. */
type Row = readonly [string, string, string, boolean, boolean];
const rows = (inv: Inventory): Row[] =>
  inv.packages.map((p): Row => [
    fullName(p),
    p.version,
    p.location.path,
    p.declaredOnly === true,
    p.metadata?.['dev'] === 'true',
  ]);

const scalibr = (...parts: string[]): string =>
  readFileSync(sharedData('pkgdb-fixtures', 'npm', 'scalibr-packagejson', ...parts), 'utf8');

describe('classifyNpmPath', () => {
  const cases: [string, NpmFileKind | undefined][] = [
    ['node_modules/a/package.json', 'installed'],
    ['app/node_modules/@scope/a/package.json', 'installed'],
    ['usr/lib/node_modules/npm/node_modules/@npmcli/arborist/package.json', 'installed'],
    ['app/node_modules/a/node_modules/b/package.json', 'installed'],
    ['app/node_modules/.pnpm/x@1.0.0/node_modules/x/package.json', 'installed'],
    // Files deeper inside a package (`{"type": "module"}` markers and the like) are not packages.
    ['app/node_modules/a/lib/package.json', undefined],
    ['app/node_modules/@scope/a/dist/esm/package.json', undefined],
    ['app/node_modules/@scope/package.json', undefined],
    ['app/node_modules/.bin/package.json', undefined],
    ['node_modules/package.json', undefined],
    ['app/node_modules/.package-lock.json', 'hidden-lockfile'],
    ['app/.package-lock.json', undefined],
    ['app/package-lock.json', 'package-lock'],
    ['npm-shrinkwrap.json', 'package-lock'],
    ['app/node_modules/a/package-lock.json', undefined],
    ['app/yarn.lock', 'yarn-lock'],
    ['app/node_modules/a/yarn.lock', undefined],
    ['app/package.json', 'project'],
    ['package.json', 'project'],
    ['app/node_modules/a/index.js', undefined],
  ];
  it.each(cases)('classifies %s as %s', (p, kind) => {
    expect(classifyNpmPath(p)).toBe(kind);
  });
});

describe('npm license fields', () => {
  it.each([
    ['an SPDX string', '{"license": "MIT"}', ['MIT']],
    ['an expression', '{"license": "(MIT OR Apache-2.0)"}', ['(MIT OR Apache-2.0)']],
    ['the deprecated {type} object', '{"license": {"type": "ISC", "url": "https://x.invalid"}}', ['ISC']],
    ['the legacy licenses array (window-size)', scalibr('deps', 'window-size', 'package.json'), ['MIT']],
    [
      'both fields, without repeats',
      '{"license": "MIT", "licenses": [{"type": "MIT"}, "BSD-3-Clause"]}',
      ['MIT', 'BSD-3-Clause'],
    ],
    ['a shape npm never wrote', '{"license": 42, "licenses": {"a": 1}}', []],
  ])('reads %s', (_name, text, expected) => {
    const manifest = packageJsonSchema.parse(JSON.parse(text));
    expect(npmLicenses(manifest.license, manifest.licenses)).toEqual(expected);
  });
});

describe('npmAnalyzer on installed package.json files', () => {
  it("reads osv-scalibr's package.json fixtures placed under node_modules, and says why the incomplete ones are no package", async () => {
    const nm = 'srv/app/node_modules';
    const inv = await inventoryOf(
      await imageOfFiles({
        [`${nm}/accepts/package.json`]: scalibr('deps', 'accepts', 'package.json'),
        [`${nm}/no-person-name/package.json`]: scalibr('deps', 'no-person-name', 'package.json'),
        [`${nm}/acorn/package.json`]: scalibr('deps', 'acorn', 'package.json'),
        [`${nm}/acorn-globals/package.json`]: scalibr('deps', 'acorn-globals', 'package.json'),
        [`${nm}/window-size/package.json`]: scalibr('deps', 'window-size', 'package.json'),
        [`${nm}/with/node_modules/acorn/package.json`]: scalibr(
          'deps',
          'with',
          'deps',
          'acorn',
          'package.json',
        ),
        [`${nm}/undici/package.json`]: scalibr('undici-package.json'),
        [`${nm}/jsonparse/package.json`]: scalibr('not-vscode.json'),
        [`${nm}/testdata/package.json`]: scalibr('package.json'),
        [`${nm}/pug/package.json`]: scalibr('vscode-extension.json'),
        [`${nm}/grunt/package.json`]: scalibr('vscode-extension-only-required.json'),
        [`${nm}/unitygltf/package.json`]: scalibr('unity-package.json'),
        [`${nm}/duplicate-keys/package.json`]: scalibr('duplicate-keys.json'),
        [`${nm}/package-with-deps/package.json`]: scalibr('package-with-deps.json'),
      }),
    );
    const table = inv.packages.map((p) => [
      fullName(p),
      p.version,
      p.licenses,
      p.location.path.slice(nm.length + 1),
    ]);
    expect(table).toEqual([
      ['accepts', '1.3.8', ['MIT'], 'accepts/package.json'],
      // The folder name does not matter: package.json names the package.
      ['accepts', '1.3.8', ['MIT'], 'no-person-name/package.json'],
      ['acorn', '1.2.2', ['MIT'], 'with/node_modules/acorn/package.json'],
      ['duplicate-keys', '1.0.0', [], 'duplicate-keys/package.json'],
      ['grunt', '1.0.0', [], 'grunt/package.json'],
      ['jsonparse', '1.3.1', ['MIT'], 'jsonparse/package.json'],
      ['org.khronos.unitygltf', '2.13.0', [], 'unitygltf/package.json'],
      ['package-with-deps', '1.2.3', [], 'package-with-deps/package.json'],
      ['pug', '1.0.0', ['MIT'], 'pug/package.json'],
      ['testdata', '10.46.8', [], 'testdata/package.json'],
      ['undici', '5.28.3', ['MIT'], 'undici/package.json'],
    ]);
    expect(inv.packages.every((p) => p.declaredOnly === undefined && p.type === 'npm')).toBe(true);
    expect(inv.packages.find((p) => p.name === 'testdata')?.metadata).toEqual({ private: 'true' });
    expect(inv.packages.find((p) => p.name === 'undici')?.purl).toBe('pkg:npm/undici@5.28.3');
    expect(inv.gaps.map((g) => [g.path.slice(nm.length + 1), g.reason])).toEqual([
      ['acorn-globals/package.json', 'package.json of "acorn-globals" has no "version"'],
      ['acorn/package.json', 'package.json has no "name"'],
      ['window-size/package.json', 'package.json has no "name"'],
    ]);
  });
});

describe('npmAnalyzer on a real npm install and real yarn lockfiles', () => {
  const tar = readFileSync(path.join(import.meta.dirname, 'testdata', 'node-projects.tar'));

  it('reports 7 installed packages, dev flags from the hidden lockfile, and the 7 of each yarn.lock as declared only', async () => {
    const inv = await inventoryOf(makeImage([{ tar, createdBy: 'COPY . /' }]).image);
    expect(inv.gaps).toEqual([]);
    expect(inv.warnings).toEqual([]);
    const sorted = rows(inv).sort((a, b) => (a[2] + a[0] + a[1] < b[2] + b[0] + b[1] ? -1 : 1));
    // npm-app/package-lock.json pins exactly what is installed beside it, so it adds nothing.
    expect(sorted).toEqual([
      ['@types/semver', '7.5.8', 'npm-app/node_modules/@types/semver/package.json', false, false],
      ['ms', '2.1.2', 'npm-app/node_modules/debug/node_modules/ms/package.json', false, false],
      ['debug', '4.3.4', 'npm-app/node_modules/debug/package.json', false, false],
      ['has-flag', '4.0.0', 'npm-app/node_modules/has-flag/package.json', false, true],
      ['is-number', '7.0.0', 'npm-app/node_modules/isnum/package.json', false, false],
      ['ms', '2.1.3', 'npm-app/node_modules/ms/package.json', false, false],
      ['typescript', '5.4.5', 'npm-app/node_modules/typescript/package.json', false, true],
      ['@types/semver', '7.5.8', 'yarn-berry/yarn.lock', true, false],
      ['debug', '4.3.4', 'yarn-berry/yarn.lock', true, false],
      ['has-flag', '4.0.0', 'yarn-berry/yarn.lock', true, true],
      ['is-number', '7.0.0', 'yarn-berry/yarn.lock', true, false],
      ['ms', '2.1.2', 'yarn-berry/yarn.lock', true, false],
      ['ms', '2.1.3', 'yarn-berry/yarn.lock', true, false],
      ['typescript', '5.4.5', 'yarn-berry/yarn.lock', true, true],
      ['@types/semver', '7.5.8', 'yarn-classic/yarn.lock', true, false],
      ['debug', '4.3.4', 'yarn-classic/yarn.lock', true, false],
      ['has-flag', '4.0.0', 'yarn-classic/yarn.lock', true, true],
      ['is-number', '7.0.0', 'yarn-classic/yarn.lock', true, false],
      ['ms', '2.1.2', 'yarn-classic/yarn.lock', true, false],
      ['ms', '2.1.3', 'yarn-classic/yarn.lock', true, false],
      ['typescript', '5.4.5', 'yarn-classic/yarn.lock', true, true],
    ]);
  });

  it('gives installed packages their purl, licenses, layer and the hidden lockfile integrity', async () => {
    const { image } = makeImage([{ tar, createdBy: 'COPY . /' }]);
    const inv = await inventoryOf(image);
    const semver = inv.packages.find((p) => p.name === 'semver' && p.declaredOnly !== true);
    expect(semver).toMatchObject({
      type: 'npm',
      namespace: '@types',
      purl: 'pkg:npm/%40types/semver@7.5.8',
      licenses: ['MIT'],
      location: { layerIndex: 0, createdBy: 'COPY . /', diffID: image.layers[0]?.diffID },
    });
    expect(semver?.metadata?.['integrity']).toMatch(/^sha512-I8EUhyrg/);
    const ts = inv.packages.find((p) => p.name === 'typescript' && p.declaredOnly !== true);
    expect(ts).toMatchObject({ licenses: ['Apache-2.0'], metadata: { dev: 'true' } });
  });
});

describe('npmAnalyzer on hostile and broken input', () => {
  const ok = '{"name": "ok", "version": "1.0.0"}';

  it.each([
    ['malformed JSON', '{"name": "x", "version":', /^not valid JSON: /],
    [
      'a name that is a number',
      '{"name": 42, "version": "1.0.0"}',
      'not a package.json: name: Invalid input: expected string, received number',
    ],
    ['an array', '[1, 2]', 'not a package.json: Invalid input: expected object, received array'],
    [
      'a name with a newline',
      '{"name": "a\\nb", "version": "1.0.0"}',
      'package.json has an invalid name "a b"',
    ],
    [
      'a size over the 4 MiB cap',
      JSON.stringify({ name: 'big', version: '1.0.0', readme: 'x'.repeat(5 * 1024 * 1024) }),
      /more than the 4194304-byte cap for package\.json$/,
    ],
  ])('makes %s a gap and still reports the package beside it', async (_name, content, reason) => {
    const inv = await inventoryOf(
      await imageOfFiles({
        'app/node_modules/bad/package.json': content,
        'app/node_modules/ok/package.json': ok,
      }),
    );
    expect(inv.packages.map(fullName)).toEqual(['ok']);
    expect(inv.gaps).toHaveLength(1);
    expect(inv.gaps[0]).toMatchObject({ analyzer: 'npm', path: 'app/node_modules/bad/package.json' });
    expect(inv.gaps[0]?.reason).toMatch(reason);
  });

  it('reads 32 nested node_modules and makes anything deeper one gap per subtree', async () => {
    const nest = (n: number): string => Array.from({ length: n }, (_, i) => `node_modules/p${i}`).join('/');
    const inv = await inventoryOf(
      await imageOfFiles({
        [`${nest(32)}/package.json`]: '{"name": "p31", "version": "1.0.0"}',
        [`${nest(33)}/package.json`]: '{"name": "p32", "version": "1.0.0"}',
        [`${nest(40)}/package.json`]: '{"name": "p39", "version": "1.0.0"}',
      }),
    );
    expect(inv.packages.map(fullName)).toEqual(['p31']);
    expect(inv.gaps).toEqual([
      {
        analyzer: 'npm',
        path: `${nest(32)}/node_modules`,
        reason: '2 package.json files nested more than 32 node_modules deep not read',
      },
    ]);
  });

  it('keeps installed packages when the hidden lockfile is broken, and ignores a stale entry', async () => {
    const broken = await inventoryOf(
      await imageOfFiles({
        'app/node_modules/.package-lock.json': '{"packages": ',
        'app/node_modules/ok/package.json': ok,
      }),
    );
    expect(broken.packages.map(fullName)).toEqual(['ok']);
    expect(broken.gaps.map((g) => g.path)).toEqual(['app/node_modules/.package-lock.json']);
    const stale = await inventoryOf(
      await imageOfFiles({
        'app/node_modules/.package-lock.json': JSON.stringify({
          lockfileVersion: 3,
          packages: { 'node_modules/ok': { version: '0.9.0', dev: true } },
        }),
        'app/node_modules/ok/package.json': ok,
      }),
    );
    expect(stale.packages[0]?.metadata).toBeUndefined();
  });

  it('makes a broken lockfile a gap naming what is wrong, and ignores lockfiles inside node_modules', async () => {
    const inv = await inventoryOf(
      await imageOfFiles({
        'a/package-lock.json': '[]',
        'b/yarn.lock': 'x@^1:\n\tversion "1.0.0"\n',
        'c/npm-shrinkwrap.json': '{"lockfileVersion": 3, "packages": {"node_modules/x": {"version": 1}}}',
        'app/node_modules/ok/yarn.lock': 'not a lockfile at all',
        'app/node_modules/ok/package.json': ok,
      }),
    );
    expect(inv.packages.map(fullName)).toEqual(['ok']);
    expect(inv.gaps.map((g) => [g.path, g.reason])).toEqual([
      ['a/package-lock.json', 'not an npm lockfile: Invalid input: expected object, received array'],
      [
        'c/npm-shrinkwrap.json',
        '1 entry skipped: "node_modules/x": version: Invalid input: expected string, received number',
      ],
      ['b/yarn.lock', 'line 2: tab in indentation'],
    ]);
  });

  it('warns and still lists a yarn.lock whose package.json is unreadable', async () => {
    const files: TreeFiles = {
      'app/package.json': '{"dependencies": ',
      'app/yarn.lock': 'left-pad@^1.3.0:\n  version "1.3.0"\n',
    };
    const inv = await inventoryOf(await imageOfFiles(files));
    expect(rows(inv)).toEqual([['left-pad', '1.3.0', 'app/yarn.lock', true, false]]);
    expect(inv.warnings).toEqual([
      expect.stringMatching(
        /^npm: app\/package\.json: not valid JSON: .*; dev dependencies of app\/yarn\.lock not told apart$/,
      ),
    ]);
  });

  it('reports a pnpm package once, at its real path, though a symlink also reaches it', async () => {
    const inv = await inventoryOf(
      await imageOfFiles({
        'app/node_modules/.pnpm/left-pad@1.3.0/node_modules/left-pad/package.json':
          '{"name": "left-pad", "version": "1.3.0"}',
        'app/node_modules/left-pad': { symlink: '.pnpm/left-pad@1.3.0/node_modules/left-pad' },
      }),
    );
    expect(rows(inv)).toEqual([
      [
        'left-pad',
        '1.3.0',
        'app/node_modules/.pnpm/left-pad@1.3.0/node_modules/left-pad/package.json',
        false,
        false,
      ],
    ]);
  });
});

describe('npmAnalyzer against npm itself', () => {
  // The oracle is npm's own view of this repository's node_modules (`npm query '*'`, which walks
  // the installed tree with @npmcli/arborist). The analyzer reads a copy holding only the
  // package.json files (every one, including those deeper inside packages) and the hidden lockfile.
  it("finds every package npm query lists in this repository's node_modules, with the same dev flags", async () => {
    type Queried = { name: string; version: string; location: string; dev?: boolean };
    const queried = (
      JSON.parse(execFileSync('npm', ['query', '*'], { cwd: repoRoot, encoding: 'utf8' })) as Queried[]
    )
      .filter((q) => q.location !== '')
      .map((q) => [`app/${q.location}/package.json`, q.name, q.version, q.dev === true] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-npm-oracle-'));
    try {
      cpSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'app', 'node_modules'), {
        recursive: true,
        filter: (src) => {
          const base = path.basename(src);
          return base === 'package.json' || base === '.package-lock.json' || lstatSync(src).isDirectory();
        },
      });
      const source = await openImageSource(`rootfs:${dir}`);
      const inv = await inventoryOf(await source.open());
      await source.close();
      const found = inv.packages
        .map((p) => [p.location.path, fullName(p), p.version, p.metadata?.['dev'] === 'true'] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : 1));
      expect(queried.length).toBeGreaterThan(100);
      expect(found).toEqual(queried);
      expect(inv.gaps).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
