import { describe, expect, it } from 'vitest';
import { cycloneDxValidator, errorsOf } from '../../testing/sbom-schemas.js';
import type { SuppressedFinding } from '../gate/index.js';
import { toCycloneDxReport, type CycloneDxReportInput } from './cyclonedx.js';
import {
  DEBIAN,
  FINDINGS,
  IMAGE,
  LIBSSL,
  LODASH,
  RESULT,
  TARGET,
  ZLIB,
  finding,
} from './testdata/findings.js';

const validate = cycloneDxValidator();

type Vuln = {
  'bom-ref': string;
  id: string;
  source: { name: string; url: string };
  references?: { id: string }[];
  ratings: { severity: string; method: string; score?: number; vector?: string; source?: { name: string } }[];
  affects: { ref: string; versions: { version: string; status: string }[] }[];
  analysis?: { state: string; justification?: string; detail?: string };
  recommendation?: string;
};

const [high, critical, medium, low] = FINDINGS;
if (high === undefined || critical === undefined || medium === undefined || low === undefined) {
  throw new Error('fixture');
}

const base: CycloneDxReportInput = {
  target: TARGET,
  os: DEBIAN,
  results: RESULT,
  image: IMAGE,
  tool: { name: 'portcullis', version: '0.1.0' },
  timestamp: new Date('2026-01-01T00:00:00Z'),
  serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
};

function vulnsOf(doc: Record<string, unknown>): Vuln[] {
  return doc['vulnerabilities'] as Vuln[];
}

describe('toCycloneDxReport', () => {
  it('is valid CycloneDX 1.6 with the components of the SBOM and one vulnerability per id', () => {
    const doc = toCycloneDxReport(base);
    expect(validate(doc), errorsOf(validate)).toBe(true);
    expect(doc['specVersion']).toBe('1.6');
    expect(vulnsOf(doc).map((v) => v.id)).toEqual([
      'CVE-2021-23337',
      'CVE-2023-9999',
      'CVE-2024-0001',
      'CVE-2024-0002',
    ]);
  });

  it('points affects at the bom-ref of the package component', () => {
    const doc = toCycloneDxReport(base);
    const components = doc['components'] as { 'bom-ref': string; purl?: string }[];
    for (const v of vulnsOf(doc)) {
      for (const a of v.affects) expect(components.map((c) => c['bom-ref'])).toContain(a.ref);
    }
    const lodash = vulnsOf(doc).find((v) => v.id === 'CVE-2021-23337');
    expect(lodash?.affects).toEqual([
      { ref: LODASH.purl, versions: [{ version: '4.17.20', status: 'affected' }] },
    ]);
  });

  it('writes ratings with severity, method, score and vector, and sources and aliases', () => {
    const v = vulnsOf(toCycloneDxReport(base)).find((x) => x.id === 'CVE-2024-0001');
    expect(v?.ratings).toEqual([
      {
        score: 7.5,
        severity: 'high',
        method: 'CVSSv31',
        vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
      },
    ]);
    expect(v?.source).toEqual({ name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-0001' });
    expect(v?.references?.map((r) => r.id)).toEqual(['DSA-5001-1']);
    expect(v?.recommendation).toBe('Upgrade to 3.0.13-1~deb12u1');
    const distro = vulnsOf(toCycloneDxReport(base)).find((x) => x.id === 'CVE-2023-9999');
    expect(distro?.ratings).toEqual([{ source: { name: 'Debian:12' }, severity: 'medium', method: 'other' }]);
  });

  it('gives suppressed findings an analysis', () => {
    const suppressed: SuppressedFinding[] = [
      { finding: medium, suppression: { by: 'ignore', reason: 'no fix upstream' } },
      {
        finding: low,
        suppression: {
          by: 'vex',
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
        },
      },
      { finding: critical, suppression: { by: 'vex', status: 'fixed' } },
    ];
    const doc = toCycloneDxReport({ ...base, results: { ...RESULT, findings: [high] }, suppressed });
    expect(validate(doc), errorsOf(validate)).toBe(true);
    const byId = new Map(vulnsOf(doc).map((v) => [v.id, v]));
    expect(byId.get('CVE-2024-0001')?.analysis).toBeUndefined();
    expect(byId.get('CVE-2023-9999')?.analysis).toEqual({
      state: 'in_triage',
      detail: 'Ignored by policy: no fix upstream',
    });
    expect(byId.get('CVE-2021-23337')?.analysis).toEqual({
      state: 'not_affected',
      justification: 'code_not_reachable',
      detail: 'OpenVEX: vulnerable_code_not_in_execute_path',
    });
    expect(byId.get('CVE-2024-0002')?.analysis).toEqual({ state: 'resolved' });
    expect(byId.get('CVE-2024-0002')?.affects[0]?.versions[0]?.status).toBe('unaffected');
  });

  it('merges one id in several packages into one entry, and keeps the same purl at two paths apart', () => {
    const copy = {
      ...LODASH,
      location: { ...LODASH.location, path: 'other/node_modules/lodash/package.json' },
    };
    const inventory = { ...RESULT.inventory, packages: [LIBSSL, ZLIB, LODASH, copy] };
    const doc = toCycloneDxReport({
      ...base,
      results: { ...RESULT, inventory, findings: [low, finding({ ...low, package: copy })] },
    });
    expect(validate(doc), errorsOf(validate)).toBe(true);
    const [v] = vulnsOf(doc);
    expect(v?.affects.map((a) => a.ref)).toEqual([
      `${LODASH.purl}|app/node_modules/lodash/package.json`,
      `${LODASH.purl}|other/node_modules/lodash/package.json`,
    ]);
  });

  it('stays valid with odd advisory data (unparseable dates and references, no CVSS, GHSA ids)', () => {
    const odd = finding({
      id: 'GHSA-xxxx-yyyy-zzzz',
      aliases: [],
      published: 'yesterday',
      modified: undefined,
      references: ['not a url', 'https://example.com/a b'],
      cvssScore: undefined,
      cvssVector: undefined,
      severity: 'negligible',
      severitySource: 'none',
      title: undefined,
      description: undefined,
    });
    const doc = toCycloneDxReport({ ...base, results: { ...RESULT, findings: [odd] } });
    expect(validate(doc), errorsOf(validate)).toBe(true);
    expect(vulnsOf(doc)[0]?.source.name).toBe('GitHub');
    expect(vulnsOf(doc)[0]?.ratings).toEqual([{ severity: 'info', method: 'other' }]);
  });
});
