import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../testing/fixtures.js';
import { cycloneDxValidator, errorsOf } from '../testing/sbom-schemas.js';
import { sarifValidator, scanJsonValidator } from '../testing/scan-schemas.js';
import { trivyFixtureRecords } from '../testing/trivy-fixture-db.js';
import { openVulnDb } from '../vulndb/index.js';
import { runCliCaptured } from '../testing/cli.js';

let work: string;
let dbPath: string;
const alpine310 = () => `docker-archive:${sharedData('image-fixtures/trivy-test-images/alpine-310.tar.gz')}`;
const alpine39 = () => `docker-archive:${sharedData('image-fixtures/trivy-test-images/alpine-39.tar.gz')}`;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-cli-scan-'));
  dbPath = path.join(work, 'vuln.db');
  const db = openVulnDb(dbPath);
  db.importRecords(trivyFixtureRecords(), { name: 'trivy-fixture-db', kind: 'test', location: 'fixture-db' });
  db.close();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const cli = (argv: string[]) => runCliCaptured(argv, work, { env: { PORTCULLIS_DB: dbPath } });

type ScanJson = {
  schemaVersion: number;
  artifact: { name: string };
  vulnerabilities: {
    id: string;
    packageName: string;
    severity: string;
    fixedVersion?: string;
    suppressed?: unknown;
  }[];
};

describe('portcullis scan', () => {
  it('prints a table of findings grouped by package, exit 0 without --exit-code', async () => {
    const r = await cli(['scan', alpine310()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('libssl1.1');
    expect(r.stdout).toContain('CVE-2019-1551');
    expect(r.stdout).toMatch(/Total: 4/);
  });

  it('writes scan JSON that validates against its schema', async () => {
    const r = await cli(['scan', alpine310(), '--format', 'json']);
    const doc = JSON.parse(r.stdout) as ScanJson;
    const validate = scanJsonValidator();
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(
      doc.vulnerabilities.map((v) => `${v.id} ${v.packageName} ${v.fixedVersion ?? '-'}`).sort(),
    ).toEqual([
      'CVE-2019-1549 libcrypto1.1 1.1.1d-r0',
      'CVE-2019-1549 libssl1.1 1.1.1d-r0',
      'CVE-2019-1551 libcrypto1.1 1.1.1d-r2',
      'CVE-2019-1551 libssl1.1 1.1.1d-r2',
    ]);
  });

  it('writes SARIF 2.1.0 valid against the official schema', async () => {
    const r = await cli(['scan', alpine310(), '--format', 'sarif']);
    const validate = sarifValidator();
    expect(validate(JSON.parse(r.stdout)), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
  });

  it('writes CycloneDX 1.6 with vulnerabilities, valid against the official schema', async () => {
    const r = await cli(['scan', alpine310(), '--format', 'cyclonedx', '--output', 'out.cdx.json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(await readFile(path.join(work, 'out.cdx.json'), 'utf8')) as {
      vulnerabilities: unknown[];
    };
    const validate = cycloneDxValidator();
    expect(validate(doc), errorsOf(validate)).toBe(true);
    expect(doc.vulnerabilities.length).toBeGreaterThan(0);
  });

  it.each([
    [['--exit-code', '3'], 3],
    [['--exit-code', '3', '--severity', 'critical,high'], 0],
    [['--exit-code', '3', '--severity', 'medium'], 3],
  ])('gates %j → exit %i', async (flags, code) => {
    expect((await cli(['scan', alpine310(), ...flags])).code).toBe(code);
  });

  it('critical musl findings in alpine 3.9 pass --severity critical and fail the gate', async () => {
    const r = await cli([
      'scan',
      alpine39(),
      '--severity',
      'CRITICAL',
      '--exit-code',
      '1',
      '--format',
      'json',
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as ScanJson;
    expect(doc.vulnerabilities.map((v) => `${v.id} ${v.packageName}`).sort()).toEqual([
      'CVE-2019-14697 musl',
      'CVE-2019-14697 musl-utils',
    ]);
  });

  it('applies the ignore file until its entries expire, and reports expired ones', async () => {
    await writeFile(
      path.join(work, '.portcullisignore.yaml'),
      [
        'vulnerabilities:',
        '  - id: CVE-2019-1549',
        '    reason: not reachable in our use',
        '    expires: 2999-01-01',
        '  - id: CVE-2019-1551',
        '    reason: accepted last year',
        '    expires: 2000-01-01',
      ].join('\n'),
    );
    try {
      const r = await cli(['scan', alpine310(), '--format', 'json', '--exit-code', '4']);
      expect(r.code).toBe(4);
      const doc = JSON.parse(r.stdout) as ScanJson;
      const counted = doc.vulnerabilities.filter((v) => v.suppressed === undefined).map((v) => v.id);
      expect([...new Set(counted)]).toEqual(['CVE-2019-1551']);
      expect(r.stderr).toMatch(/CVE-2019-1551 expired on 2000-01-01/);
    } finally {
      await rm(path.join(work, '.portcullisignore.yaml'));
    }
  });

  it('suppresses findings an OpenVEX document marks not_affected, keeping the justification', async () => {
    const vex = path.join(work, 'doc.vex.json');
    await writeFile(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex/1',
        author: 'security@example.com',
        timestamp: '2024-01-01T00:00:00Z',
        version: 1,
        statements: [
          {
            vulnerability: { name: 'CVE-2019-1549' },
            products: [{ '@id': 'pkg:apk/alpine/libssl1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2' }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
          },
        ],
      }),
    );
    const r = await cli(['scan', alpine310(), '--vex', vex, '--format', 'json']);
    const doc = JSON.parse(r.stdout) as ScanJson;
    const suppressed = doc.vulnerabilities.filter((v) => v.suppressed !== undefined);
    expect(suppressed.map((v) => `${v.id} ${v.packageName}`)).toEqual(['CVE-2019-1549 libssl1.1']);
    expect(JSON.stringify(suppressed[0]?.suppressed)).toContain('vulnerable_code_not_in_execute_path');
  });

  it('scans an SBOM (ours) as a target and finds the same vulnerabilities', async () => {
    const sbom = await cli(['sbom', alpine310(), '--output', 'a310.cdx.json']);
    expect(sbom.code).toBe(0);
    const r = await cli(['scan', 'sbom:a310.cdx.json', '--format', 'json']);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as ScanJson;
    expect(doc.vulnerabilities).toHaveLength(4);
  });

  it('scans several targets in one run, exiting with the worst gate result', async () => {
    const r = await cli(['scan', alpine310(), alpine39(), '--severity', 'critical', '--exit-code', '5']);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('musl');
  });

  it('leaves out findings from the base image given with --base', async () => {
    // alpine-310 is its own base here: every layer is a base layer, so nothing remains.
    const r = await cli([
      'scan',
      alpine310(),
      '--exclude-base-image',
      '--base',
      alpine310(),
      '--format',
      'json',
    ]);
    expect((JSON.parse(r.stdout) as ScanJson).vulnerabilities).toHaveLength(0);
    // A base that is not the image's first layers hides nothing.
    const other = await cli([
      'scan',
      alpine310(),
      '--exclude-base-image',
      '--base',
      alpine39(),
      '--format',
      'json',
    ]);
    expect((JSON.parse(other.stdout) as ScanJson).vulnerabilities).toHaveLength(4);
    expect(other.stderr).toContain('nothing excluded');
  });

  it.each([
    [['scan'], 2, /at least one target/],
    [['scan', 'x', '--format', 'xml'], 2, /unknown --format "xml"/],
    [['scan', 'x', '--severity', 'urgent'], 2, /unknown severity "urgent"/],
    [['scan', 'x', '--exit-code', '-1'], 2, /--exit-code/],
  ])('%j exits %i', async (argv, code, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('warns about a database older than --max-db-age, and fails with --fail-on-stale-db', async () => {
    const warn = await cli(['scan', alpine310(), '--max-db-age', '0']);
    expect(warn.code).toBe(0);
    expect(warn.stderr).toMatch(/vulnerability database is .* days old/);
    const fail = await cli(['scan', alpine310(), '--max-db-age', '0', '--fail-on-stale-db']);
    expect(fail.code).toBe(2);
  });

  it('takes the rating source order from --severity-order', async () => {
    // The fixture records carry an NVD CVSS v3 vector (MEDIUM for CVE-2019-1549) and Trivy's own
    // rating (MEDIUM as well); with only the record's rating allowed, the source says so.
    const r = await cli(['scan', alpine310(), '--format', 'json', '--severity-order', 'record']);
    const doc = JSON.parse(r.stdout) as { vulnerabilities: { severitySource: string }[] };
    expect(new Set(doc.vulnerabilities.map((v) => v.severitySource))).toEqual(new Set(['record']));
    const bad = await cli(['scan', alpine310(), '--severity-order', 'vibes']);
    expect(bad.code).toBe(2);
  });

  it('refuses to scan without a database, saying how to get one', async () => {
    const r = await cli(['scan', alpine310(), '--db', path.join(work, 'missing.db')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/db update|db import/);
  });
});

describe('portcullis db', () => {
  it('imports native feeds and reports status', async () => {
    const db = path.join(work, 'feeds.db');
    const imp = await cli([
      'db',
      'import',
      '--db',
      db,
      sharedData('alpine-secdb/v3.10'),
      sharedData('debian-tracker/DSA-list.txt'),
    ]);
    expect(imp.code).toBe(0);
    expect(imp.stdout).toMatch(/alpine-secdb +\d+ imported/);
    expect(imp.stdout).toMatch(/debian-list +\d+ imported/);
    const status = await cli(['db', 'status', '--db', db, '--format', 'json']);
    const s = JSON.parse(status.stdout) as { ecosystems: { ecosystem: string }[]; schemaVersion: number };
    expect(s.schemaVersion).toBe(1);
    expect(s.ecosystems.map((e) => e.ecosystem)).toContain('Alpine:v3.10');
    // The staged DSA list is a snapshot from March 2023, before bookworm's release.
    expect(s.ecosystems.map((e) => e.ecosystem)).toContain('Debian:11');
  });
});
