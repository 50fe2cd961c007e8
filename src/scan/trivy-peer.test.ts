// Peer suite: Trivy's own integration test. The images Trivy's goldens were computed from are
// scanned against the same vulnerability data (its fixture database, converted to OSV), and the
// (vulnerability, package, installed version, fixed version, severity) rows must be the same.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInventory } from '../inventory/index.js';
import { openImageSource } from '../oci/index.js';
import { sharedData } from '../testing/fixtures.js';
import { trivyFixtureRecords, trivyGoldenRows } from '../testing/trivy-fixture-db.js';
import { openVulnDb, type VulnDb } from '../vulndb/index.js';
import { matchInventory } from './index.js';

let work: string;
let db: VulnDb;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-trivy-peer-'));
  db = openVulnDb(path.join(work, 'fixture.db'));
  db.importRecords(trivyFixtureRecords(), {
    name: 'trivy-fixture-db',
    kind: 'test',
    location: 'scanner-goldens/fixture-db',
  });
});

afterAll(async () => {
  db.close();
  await rm(work, { recursive: true, force: true });
});

async function scanRows(image: string): Promise<string[]> {
  const source = await openImageSource(
    `docker-archive:${sharedData('image-fixtures', 'trivy-test-images', image)}`,
    {
      cacheDir: path.join(work, 'cache'),
      registry: () => {
        throw new Error('local images only');
      },
    },
  );
  try {
    const inventory = await buildInventory(await source.open());
    const { findings } = matchInventory(inventory, db);
    return findings
      .map(
        (f) =>
          `${f.id} ${f.package.name} ${f.installedVersion} ${f.fixedVersion ?? '-'} ${f.severity.toUpperCase()}`,
      )
      .sort();
  } finally {
    await source.close();
  }
}

describe("Trivy's integration goldens, same images, same vulnerability data", () => {
  it.each([
    ['alpine-310.tar.gz', 'alpine-310.json.golden'],
    ['alpine-39.tar.gz', 'alpine-39.json.golden'],
  ])('%s reproduces %s exactly', async (image, golden) => {
    const expected = trivyGoldenRows(golden);
    expect(expected.length).toBeGreaterThan(0);
    expect(await scanRows(image)).toEqual(expected);
  });

  it('busybox-with-lockfile: the Cargo.lock findings, with the lowest fix above the installed version', async () => {
    // The golden writes fixed versions as Trivy's patched ranges (">= 3.1.0, >= 2.1.3, < 3.0.0");
    // for ammonia 1.9.0 the lowest fixed release above it is 2.1.0 and 2.1.3 respectively.
    const golden = trivyGoldenRows('busybox-with-lockfile.json.golden').map((r) => r.split(' '));
    expect(golden.map((g) => `${g[0]} ${g[1]} ${g[2]} ${g.at(-1)}`)).toEqual([
      'CVE-2019-15542 ammonia 1.9.0 HIGH',
      'CVE-2021-38193 ammonia 1.9.0 MEDIUM',
    ]);
    expect(await scanRows('busybox-with-lockfile.tar.gz')).toEqual([
      'CVE-2019-15542 ammonia 1.9.0 2.1.0 HIGH',
      'CVE-2021-38193 ammonia 1.9.0 2.1.3 MEDIUM',
    ]);
  });
});
