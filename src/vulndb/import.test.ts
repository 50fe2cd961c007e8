// Imports of the real OSV databases staged in ../shared/data (see each folder's SOURCES.md):
// the Go vulnerability database (OSV JSON), the PyPA advisory database (OSV YAML) and RustSec
// (OSV JSON), all as git-archive tarballs.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../core/index.js';
import { sharedData } from '../testing/fixtures.js';
import { importPaths, readOsvPath } from './import.js';
import { openVulnDb, type VulnDb } from './store.js';

const databases = [
  {
    name: 'osv-go',
    archive: sharedData('osv-go', 'golang-vulndb-osv.tar.gz'),
    records: 4291,
    invalid: 0,
    ecosystem: 'Go',
  },
  {
    name: 'osv-pypi',
    archive: sharedData('osv-pypi', 'pypa-advisory-database-vulns.tar.gz'),
    // 2661 YAML files; seven have GIT ranges with abbreviated commit hashes, which the OSV
    // schema forbids (checked against schema.json below).
    records: 2654,
    invalid: 7,
    ecosystem: 'PyPI',
  },
  {
    name: 'osv-crates',
    archive: sharedData('osv-crates', 'rustsec-osv.tar.gz'),
    records: 1206,
    invalid: 0,
    ecosystem: 'crates.io',
  },
] as const;

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'vulndb-import-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

let counter = 0;
function freshDb(): VulnDb {
  return openVulnDb(path.join(work, `db-${++counter}`, 'portcullis.db'));
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = new Ajv2020({ strict: false });
addFormats(ajv);
const validateOfficial = ajv.compile(
  JSON.parse(readFileSync(sharedData('osv-schema', 'schema.json'), 'utf8')) as object,
);

describe.each(databases)('importing $name', (d) => {
  let db: VulnDb;
  beforeAll(() => {
    db = freshDb();
  });
  afterAll(() => {
    db.close();
  });

  it('imports every valid record in one go, and reports the invalid ones', async () => {
    const started = performance.now();
    const report = await importPaths(db, [d.archive], { sourceName: d.name });
    const seconds = (performance.now() - started) / 1000;
    const status = db.status();
    console.log(
      JSON.stringify({
        vulndbImport: d.name,
        records: report.imported,
        invalid: report.invalid.length,
        seconds: Number(seconds.toFixed(2)),
        mb: Number((status.sizeBytes / 1024 / 1024).toFixed(2)),
      }),
    );
    expect(report.imported).toBe(d.records);
    expect(report.skipped).toBe(0);
    expect(report.invalid).toHaveLength(d.invalid);
    expect(status.sources).toEqual([
      expect.objectContaining({ name: d.name, kind: 'osv-tar', location: d.archive, recordCount: d.records }),
    ]);
    expect(status.ecosystems.map((e) => e.ecosystem)).toContain(d.ecosystem);
    expect(seconds).toBeLessThan(20);
  });

  it('changes nothing when the same data is imported again', async () => {
    const before = db.status();
    const report = await importPaths(db, [d.archive], { sourceName: d.name });
    expect(report).toMatchObject({ imported: 0, skipped: d.records });
    const after = db.status();
    expect(after.records).toBe(before.records);
    expect(after.ecosystems).toEqual(before.ecosystems);
    expect(after.sizeBytes).toBe(before.sizeBytes);
  });
});

describe('the PyPA advisory database', () => {
  let db: VulnDb;
  let extracted: string;
  beforeAll(async () => {
    db = freshDb();
    extracted = path.join(work, 'pypa');
    mkdirSync(extracted);
    execFileSync('tar', ['xzf', databases[1].archive, '-C', extracted]);
    await importPaths(db, [path.join(extracted, 'vulns')]);
  });
  afterAll(() => {
    db.close();
  });

  it('finds the jinja2 advisories by (PyPI, jinja2)', () => {
    const expected = readdirSync(sharedData('osv-pypi', 'sample', 'vulns', 'jinja2'))
      .map((f) => f.replace(/\.yaml$/, ''))
      .sort();
    expect(expected).toEqual([
      'PYSEC-2014-8',
      'PYSEC-2014-82',
      'PYSEC-2019-217',
      'PYSEC-2019-220',
      'PYSEC-2021-66',
    ]);
    expect(db.advisoriesFor('PyPI', 'jinja2').map((r) => r.id)).toEqual(expected);
    const first = db.advisoriesFor('PyPI', 'jinja2')[0];
    expect(first?.affected?.[0]?.ranges?.[0]?.events).toEqual([{ introduced: '0' }, { fixed: '2.7.2' }]);
  });

  it('rejects exactly the records the official JSON schema rejects, naming file, id and reason', async () => {
    const read = await readOsvPath(path.join(extracted, 'vulns'));
    expect(read.records).toHaveLength(2654);
    expect(read.invalid).toHaveLength(7);
    for (const bad of read.invalid) {
      expect(bad.where).toMatch(/\.yaml$/);
      expect(bad.id).toBe(path.basename(bad.where, '.yaml'));
      expect(bad.reason).toMatch(/GIT ranges must use full-length commit hashes/);
      expect(validateOfficial(parseYaml(readFileSync(bad.where, 'utf8')))).toBe(false);
    }
    // And a sample of the accepted ones passes the official schema too.
    for (const r of read.records.filter((_, i) => i % 50 === 0)) expect(validateOfficial(r), r.id).toBe(true);
  });
});

describe('input layouts', () => {
  const goSamples = sharedData('osv-go', 'sample');
  const goIds = readdirSync(goSamples)
    .map((f) => f.replace(/\.json$/, ''))
    .sort();

  it("reads OSV's all.zip layout (one JSON per record at the root)", async () => {
    const zip = path.join(work, 'all.zip');
    execFileSync('/usr/bin/python3', [
      '-c',
      'import sys, zipfile, os\nwith zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:\n  for f in sys.argv[2:]: z.write(f, os.path.basename(f))',
      zip,
      ...readdirSync(goSamples).map((f) => path.join(goSamples, f)),
    ]);
    const db = freshDb();
    const report = await importPaths(db, [zip]);
    expect(report).toMatchObject({ imported: goIds.length, skipped: 0, invalid: [] });
    expect(report.sources[0]?.source).toMatchObject({ name: 'all', kind: 'osv-zip' });
    expect(db.getRecord(goIds[0] ?? '')?.id).toBe(goIds[0]);
    db.close();
  });

  it('reads a directory of JSON files, a JSON array and a single YAML file', async () => {
    const records = readdirSync(goSamples).map(
      (f) => JSON.parse(readFileSync(path.join(goSamples, f), 'utf8')) as unknown,
    );
    const array = path.join(work, 'array.json');
    writeFileSync(array, JSON.stringify(records));
    const yamlFile = sharedData('osv-pypi', 'sample', 'vulns', 'flask', 'PYSEC-2023-62.yaml');
    const db = freshDb();
    const fromDir = await importPaths(db, [goSamples]);
    expect(fromDir).toMatchObject({ imported: goIds.length, invalid: [] });
    const again = await importPaths(db, [array, yamlFile]);
    expect(again).toMatchObject({ imported: 1, skipped: goIds.length, invalid: [] });
    expect(db.advisoriesFor('PyPI', 'flask').map((r) => r.id)).toEqual(['PYSEC-2023-62']);
    expect(db.listSources().map((s) => [s.name, s.kind])).toEqual([
      ['PYSEC-2023-62', 'osv-yaml'],
      ['array', 'osv-json'],
      ['sample', 'osv-dir'],
    ]);
    db.close();
  });

  it('skips and reports invalid records and unparsable files, importing the rest', async () => {
    const dir = path.join(work, 'mixed');
    mkdirSync(path.join(dir, 'nested'), { recursive: true });
    for (const f of readdirSync(goSamples))
      copyFileSync(path.join(goSamples, f), path.join(dir, 'nested', f));
    writeFileSync(
      path.join(dir, 'GO-BAD-1.json'),
      JSON.stringify({ id: 'GO-BAD-1', modified: 'last tuesday' }),
    );
    writeFileSync(path.join(dir, 'broken.json'), '{"id": "GO-BROKEN-1", ');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a record');
    const logger = createMemoryLogger();
    const db = freshDb();
    const report = await importPaths(db, [dir], { logger });
    expect(report.imported).toBe(goIds.length);
    expect(report.invalid).toEqual([
      {
        where: path.join(dir, 'GO-BAD-1.json'),
        id: 'GO-BAD-1',
        reason: expect.stringMatching(/^modified: /) as unknown,
      },
      { where: path.join(dir, 'broken.json'), reason: expect.stringMatching(/^not JSON: /) as unknown },
    ]);
    expect(logger.entries.some((e) => e.level === 'warn' && e.fields?.['count'] === 2)).toBe(true);
    db.close();
  });
});

describe('damaged and oversized input never half-imports', () => {
  let db: VulnDb;
  let before: ReturnType<VulnDb['status']>;
  beforeAll(async () => {
    db = freshDb();
    await importPaths(db, [sharedData('osv-go', 'sample')], { sourceName: 'go-sample' });
    before = db.status();
  });
  afterAll(() => {
    db.close();
  });

  function expectUnchanged(): void {
    const now = db.status();
    expect(now.records).toBe(before.records);
    expect(now.sources).toEqual(before.sources);
    expect(now.lastUpdate).toBe(before.lastUpdate);
  }

  it('a truncated .tar.gz fails with INPUT_INVALID and leaves the database as it was', async () => {
    const whole = readFileSync(databases[2].archive);
    const truncated = path.join(work, 'truncated.tar.gz');
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(importPaths(db, [sharedData('osv-go', 'sample'), truncated])).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining('truncated.tar.gz') as unknown,
    });
    expectUnchanged();
  });

  it('a .tar.gz that is not gzip at all fails the same way', async () => {
    const garbage = path.join(work, 'garbage.tar.gz');
    writeFileSync(garbage, Buffer.alloc(4096, 7));
    await expect(importPaths(db, [garbage])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expectUnchanged();
  });

  it('a damaged zip fails with INPUT_INVALID', async () => {
    const zip = path.join(work, 'damaged.zip');
    writeFileSync(zip, Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(100)]));
    await expect(importPaths(db, [zip])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expectUnchanged();
  });

  it('a path that does not exist or has an unknown type fails before anything is written', async () => {
    await expect(
      importPaths(db, [sharedData('osv-go', 'sample'), path.join(work, 'nope.json')]),
    ).rejects.toMatchObject({
      code: 'INPUT_INVALID',
    });
    await expect(importPaths(db, [sharedData('osv-go', 'LICENSE')])).rejects.toMatchObject({
      code: 'INPUT_INVALID',
    });
    expectUnchanged();
  });

  it('too many archive entries fails with INPUT_TOO_LARGE', async () => {
    await expect(
      importPaths(db, [databases[2].archive], { limits: { maxEntries: 100 } }),
    ).rejects.toMatchObject({
      code: 'INPUT_TOO_LARGE',
      message: expect.stringContaining('maxEntries') as unknown,
    });
    expectUnchanged();
  });

  it('too many bytes fails with INPUT_TOO_LARGE', async () => {
    await expect(
      importPaths(db, [databases[2].archive], { limits: { maxTotalBytes: 100_000 } }),
    ).rejects.toMatchObject({
      code: 'INPUT_TOO_LARGE',
    });
    expectUnchanged();
  });

  it('a record file over the size cap is reported and skipped', async () => {
    const read = await readOsvPath(sharedData('osv-go', 'sample'), { limits: { maxRecordBytes: 3000 } });
    expect(read.invalid.length).toBeGreaterThan(0);
    expect(read.invalid.every((i) => /maxRecordBytes/.test(i.reason))).toBe(true);
    expect(read.records.length + read.invalid.length).toBe(
      readdirSync(sharedData('osv-go', 'sample')).length,
    );
  });
});
