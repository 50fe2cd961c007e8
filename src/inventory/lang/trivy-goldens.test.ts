// Acceptance against Trivy's integration tests (../shared/data/scanner-goldens, see its
// SOURCES.md): the repositories of integration/testdata/fixtures/repo, read here as root
// filesystems, must give the packages Trivy's goldens list, and the busybox image the Cargo.lock
// crate its golden reports. Where we differ from Trivy by design, the test says so.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImageSource } from '../../oci/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { buildInventory } from '../inventory.js';
import type { Inventory, Package } from '../types.js';
import { languageFileAnalyzers } from './index.js';

type GoldenPackage = { Name: string; Version: string; Identifier: { PURL: string }; Licenses?: string[] };
type Golden = {
  Results: {
    Target: string;
    Packages?: GoldenPackage[];
    Vulnerabilities?: {
      PkgName: string;
      InstalledVersion: string;
      PkgIdentifier: { PURL: string };
      Layer: { DiffID: string };
    }[];
  }[];
};

let testdata = '';
let tmp = '';

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'portcullis-trivy-testdata-'));
  execFileSync('tar', [
    '-xzf',
    sharedData('scanner-goldens', 'trivy-integration-testdata.tar.gz'),
    '-C',
    tmp,
  ]);
  testdata = path.join(tmp, 'integration', 'testdata');
});

afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

/** A golden from integration-goldens/ when staged there, else from the extracted tarball. */
function golden(file: string): Golden {
  const staged = sharedData('scanner-goldens', 'integration-goldens', file);
  return JSON.parse(readFileSync(existsSync(staged) ? staged : path.join(testdata, file), 'utf8')) as Golden;
}

function goldenPackages(file: string): GoldenPackage[] {
  return golden(file).Results.flatMap((r) => r.Packages ?? []);
}

async function inventoryOfDir(dir: string): Promise<Inventory> {
  const source = await openImageSource(`rootfs:${dir}`);
  try {
    return await buildInventory(await source.open(), { analyzers: languageFileAnalyzers });
  } finally {
    await source.close();
  }
}

const inventoryOfRepo = (repo: string): Promise<Inventory> =>
  inventoryOfDir(path.join(testdata, 'fixtures', 'repo', repo));

// npm scopes and Composer vendors are written before the name, as Trivy's goldens write them.
const fullName = (p: Package): string => (p.namespace === undefined ? p.name : `${p.namespace}/${p.name}`);
const id = (name: string, version: string, purl: string): string => `${name} ${version} ${purl}`;
const ours = (inv: Inventory): string[] => inv.packages.map((p) => id(fullName(p), p.version, p.purl)).sort();
const theirs = (pkgs: readonly GoldenPackage[]): string[] =>
  pkgs.map((p) => id(p.Name, p.Version, p.Identifier.PURL)).sort();

describe("Trivy's lockfile goldens", () => {
  it('npm: the 12 packages of package-lock.json v1, 5 of them read from node_modules with their licenses', async () => {
    const inv = await inventoryOfRepo('npm');
    const expected = goldenPackages('npm.json.golden');
    expect(expected).toHaveLength(12);
    expect(inv.gaps).toEqual([]);
    // z-lock is installed in node_modules but not in the lockfile, which is all Trivy's repo scan reads.
    expect(ours(inv)).toEqual([...theirs(expected), id('z-lock', '1.0.0', 'pkg:npm/z-lock@1.0.0')].sort());
    const installed = inv.packages.filter((p) => p.declaredOnly !== true);
    expect(installed.map((p) => p.location.path).sort()).toEqual([
      'node_modules/jquery/package.json',
      'node_modules/promise/package.json',
      'node_modules/react-is/package.json',
      'node_modules/react/package.json',
      'node_modules/redux/package.json',
      'node_modules/z-lock/package.json',
    ]);
    expect(inv.packages.filter((p) => p.declaredOnly === true)).toHaveLength(7);
    // The licenses Trivy's golden gives come from those same package.json files.
    for (const g of expected) {
      const p = inv.packages.find((q) => q.name === g.Name && q.version === g.Version);
      expect([g.Name, p?.licenses]).toEqual([g.Name, g.Licenses ?? []]);
    }
  });

  it('yarn: jquery 3.2.1 installed, the dev-only promise and asap marked dev; the project itself is not a package', async () => {
    const inv = await inventoryOfRepo('yarn');
    const expected = goldenPackages('yarn.json.golden');
    // Trivy lists the project (package.json "integration" 1.0.0) as a package; we do not.
    expect(theirs(expected)).toEqual([
      id('integration', '1.0.0', 'pkg:npm/integration@1.0.0'),
      id('jquery', '3.2.1', 'pkg:npm/jquery@3.2.1'),
    ]);
    expect(inv.gaps).toEqual([]);
    expect(
      inv.packages.map((p) => [
        fullName(p),
        p.version,
        p.location.path,
        p.declaredOnly === true,
        p.metadata?.['dev'] === 'true',
      ]),
    ).toEqual([
      ['asap', '2.0.6', 'yarn.lock', true, true],
      ['jquery', '3.2.1', 'node_modules/jquery/package.json', false, false],
      ['promise', '8.0.3', 'yarn.lock', true, true],
    ]);
    expect(inv.packages.find((p) => p.name === 'jquery')?.licenses).toEqual(['MIT']);
  });

  it('pip: the 7 exact pins of requirements.txt', async () => {
    const inv = await inventoryOfRepo('pip');
    const expected = goldenPackages('pip.json.golden');
    expect(expected).toHaveLength(7);
    expect(inv.gaps).toEqual([]);
    expect(ours(inv)).toEqual(theirs(expected));
    expect(inv.packages.every((p) => p.declaredOnly === true)).toBe(true);
  });

  it('cargo: the 7 crates of the golden, plus the 3 winapi crates Trivy drops as dev-dependencies', async () => {
    const inv = await inventoryOfRepo('cargo');
    const expected = goldenPackages('cargo.lock.json.golden');
    expect(expected).toHaveLength(7);
    expect(inv.gaps).toEqual([]);
    // Trivy reads Cargo.toml to leave out dev-dependencies; we report everything Cargo.lock pins.
    expect(ours(inv)).toEqual(
      [
        ...theirs(expected),
        id('winapi', '0.3.9', 'pkg:cargo/winapi@0.3.9'),
        id('winapi-i686-pc-windows-gnu', '0.4.0', 'pkg:cargo/winapi-i686-pc-windows-gnu@0.4.0'),
        id('winapi-x86_64-pc-windows-gnu', '0.4.0', 'pkg:cargo/winapi-x86_64-pc-windows-gnu@0.4.0'),
      ].sort(),
    );
  });

  it('composer: the 3 packages of vendor/composer/installed.json with their licenses', async () => {
    const expected = goldenPackages('composer.vendor.json.golden');
    expect(expected).toHaveLength(3);
    // The fixture sits at its repository's root; Composer writes it to vendor/composer/.
    expect((await inventoryOfRepo('composer-vendor')).packages).toEqual([]);
    const vendor = path.join(tmp, 'composer-root', 'app', 'vendor', 'composer');
    mkdirSync(vendor, { recursive: true });
    copyFileSync(
      path.join(testdata, 'fixtures', 'repo', 'composer-vendor', 'installed.json'),
      path.join(vendor, 'installed.json'),
    );
    const inv = await inventoryOfDir(path.join(tmp, 'composer-root'));
    expect(inv.gaps).toEqual([]);
    expect(ours(inv)).toEqual(theirs(expected));
    for (const g of expected) {
      expect(inv.packages.find((p) => fullName(p) === g.Name)?.licenses).toEqual(g.Licenses);
    }
  });

  it('dotnet: the NuGet package of the deps.json; the project entry Trivy also lists is the application itself', async () => {
    const inv = await inventoryOfRepo('dotnet');
    const expected = goldenPackages('dotnet.json.golden');
    expect(theirs(expected)).toEqual([
      id(
        'Microsoft.VisualStudio.TestPlatform.Common',
        '17.2.0-release-20220408-11',
        'pkg:nuget/Microsoft.VisualStudio.TestPlatform.Common@17.2.0-release-20220408-11',
      ),
      id('Newtonsoft.Json', '9.0.1', 'pkg:nuget/Newtonsoft.Json@9.0.1'),
    ]);
    expect(inv.gaps).toEqual([]);
    expect(ours(inv)).toEqual([id('Newtonsoft.Json', '9.0.1', 'pkg:nuget/Newtonsoft.Json@9.0.1')]);
  });
});

describe("Trivy's busybox-with-lockfile image", () => {
  it('gives the 74 crates of its Cargo.lock, with the vulnerable ammonia 1.9.0 in the layer the golden names', async () => {
    const file = sharedData('image-fixtures', 'trivy-test-images', 'busybox-with-lockfile.tar.gz');
    const source = await openImageSource(`docker-archive:${file}`, {
      registry: () => {
        throw new Error('local only');
      },
    });
    let inv: Inventory;
    try {
      inv = await buildInventory(await source.open(), { analyzers: languageFileAnalyzers });
    } finally {
      await source.close();
    }
    expect(inv.gaps).toEqual([]);
    expect(inv.packages).toHaveLength(74);
    expect(
      inv.packages.every(
        (p) => p.type === 'cargo' && p.declaredOnly === true && p.location.path === 'Cargo.lock',
      ),
    ).toBe(true);
    const vulnerable = golden('busybox-with-lockfile.json.golden').Results.flatMap(
      (r) => r.Vulnerabilities ?? [],
    );
    expect(vulnerable.length).toBeGreaterThan(0);
    for (const v of vulnerable) {
      const p = inv.packages.find((q) => q.name === v.PkgName && q.version === v.InstalledVersion);
      expect(p?.purl).toBe(v.PkgIdentifier.PURL);
      expect(p?.location).toMatchObject({ layerIndex: 1, diffID: v.Layer.DiffID });
      // The history step that added the file (the golden's config names the same file digest).
      expect(p?.location.createdBy).toContain(
        '343df0159abcc51b06b4e56bfd4c06d2003b88947ed93b0cec6214ae5985669e',
      );
    }
  });
});
