import { describe, expect, it } from 'vitest';
import { FINDINGS, IMAGE, LIBSSL, LODASH, finding } from '../report/testdata/findings.js';
import type { Finding } from '../types.js';
import { applyPolicy, exitCodeFor } from './policy.js';
import type { IgnoreEntry, PolicyOptions, VexStatement } from './types.js';

const now = new Date('2026-06-15T12:00:00Z');
const ids = (fs: readonly Finding[]): string[] => fs.map((f) => f.id);

describe('applyPolicy flags', () => {
  const cases: { name: string; options: Omit<PolicyOptions, 'now'>; kept: string[]; filtered: string[] }[] = [
    {
      name: 'no options keep everything',
      options: {},
      kept: ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2023-9999', 'CVE-2021-23337'],
      filtered: [],
    },
    {
      name: 'a severity list keeps only those severities',
      options: { severities: ['critical', 'high'] },
      kept: ['CVE-2024-0001', 'CVE-2024-0002'],
      filtered: ['CVE-2023-9999', 'CVE-2021-23337'],
    },
    {
      name: 'an empty severity list keeps nothing',
      options: { severities: [] },
      kept: [],
      filtered: ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2023-9999', 'CVE-2021-23337'],
    },
    {
      name: 'ignoreUnfixed leaves out findings without a fixed version',
      options: { ignoreUnfixed: true },
      kept: ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2021-23337'],
      filtered: ['CVE-2023-9999'],
    },
    {
      name: 'ignoreUnfixed false changes nothing',
      options: { ignoreUnfixed: false },
      kept: ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2023-9999', 'CVE-2021-23337'],
      filtered: [],
    },
    {
      name: 'both flags combine',
      options: { ignoreUnfixed: true, severities: ['medium', 'low'] },
      kept: ['CVE-2021-23337'],
      filtered: ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2023-9999'],
    },
  ];
  it.each(cases)('$name', ({ options, kept, filtered }) => {
    const r = applyPolicy(FINDINGS, { ...options, now });
    expect(ids(r.kept)).toEqual(kept);
    expect(ids(r.filtered.map((f) => f.finding))).toEqual(filtered);
    expect(r.suppressed).toEqual([]);
  });

  it('treats will_not_fix as unfixed even with a fixed version named', () => {
    const f = finding({ status: 'will_not_fix' });
    expect(applyPolicy([f], { ignoreUnfixed: true, now }).filtered).toEqual([{ finding: f, by: 'unfixed' }]);
  });
});

describe('applyPolicy with ignore entries', () => {
  const cases: { name: string; entry: IgnoreEntry; suppressed: string[] }[] = [
    { name: 'id', entry: { id: 'CVE-2024-0001', reason: 'r' }, suppressed: ['CVE-2024-0001'] },
    {
      name: 'id in another case',
      entry: { id: 'cve-2024-0001', reason: 'r' },
      suppressed: ['CVE-2024-0001'],
    },
    { name: 'alias', entry: { id: 'GHSA-35jh-r3h4-6jhm', reason: 'r' }, suppressed: ['CVE-2021-23337'] },
    { name: 'alias DSA', entry: { id: 'DSA-5001-1', reason: 'r' }, suppressed: ['CVE-2024-0001'] },
    {
      name: 'id and matching package',
      entry: { id: 'CVE-2024-0001', package: 'libssl3', reason: 'r' },
      suppressed: ['CVE-2024-0001'],
    },
    {
      name: 'id and the source package name',
      entry: { id: 'CVE-2024-0001', package: 'openssl', reason: 'r' },
      suppressed: ['CVE-2024-0001'],
    },
    {
      name: 'id and other package',
      entry: { id: 'CVE-2024-0001', package: 'zlib1g', reason: 'r' },
      suppressed: [],
    },
    {
      name: 'versionless purl',
      entry: { id: 'CVE-2024-0002', purl: 'pkg:deb/debian/libssl3', reason: 'r' },
      suppressed: ['CVE-2024-0002'],
    },
    {
      name: 'purl with other version',
      entry: { id: 'CVE-2024-0002', purl: 'pkg:deb/debian/libssl3@1.0', reason: 'r' },
      suppressed: [],
    },
    {
      name: 'purl with matching qualifier',
      entry: { id: 'CVE-2024-0002', purl: 'pkg:deb/debian/libssl3?arch=amd64', reason: 'r' },
      suppressed: ['CVE-2024-0002'],
    },
    {
      name: 'purl with other qualifier',
      entry: { id: 'CVE-2024-0002', purl: 'pkg:deb/debian/libssl3?arch=arm64', reason: 'r' },
      suppressed: [],
    },
    { name: 'unknown id', entry: { id: 'CVE-1999-0001', reason: 'r' }, suppressed: [] },
    {
      name: 'expiry later today still applies',
      entry: { id: 'CVE-2024-0001', reason: 'r', expires: '2026-06-15' },
      suppressed: ['CVE-2024-0001'],
    },
  ];
  it.each(cases)('matches by $name', ({ entry, suppressed }) => {
    const r = applyPolicy(FINDINGS, { ignore: [entry], now });
    expect(ids(r.suppressed.map((s) => s.finding))).toEqual(suppressed);
    expect(r.kept.length + r.suppressed.length).toBe(FINDINGS.length);
    expect(r.expiredIgnores).toEqual([]);
  });

  it('records the reason and expiry of the entry that applied', () => {
    const r = applyPolicy(FINDINGS, {
      ignore: [{ id: 'CVE-2024-0002', reason: 'accepted until the rebuild', expires: '2027-01-01' }],
      now,
    });
    expect(r.suppressed[0]?.suppression).toEqual({
      by: 'ignore',
      reason: 'accepted until the rebuild',
      expires: '2027-01-01',
    });
  });

  it('stops applying an entry after its expiry day and reports it', () => {
    const expired: IgnoreEntry = { id: 'CVE-2024-0001', reason: 'r', expires: '2026-06-14' };
    const r = applyPolicy(FINDINGS, { ignore: [expired], now });
    expect(r.suppressed).toEqual([]);
    expect(r.expiredIgnores).toEqual([expired]);
    expect(ids(r.kept)).toContain('CVE-2024-0001');
  });

  it('expires at midnight UTC after the expiry day', () => {
    const entry: IgnoreEntry = { id: 'CVE-2024-0001', reason: 'r', expires: '2026-06-15' };
    expect(
      applyPolicy(FINDINGS, { ignore: [entry], now: new Date('2026-06-15T23:59:59Z') }).expiredIgnores,
    ).toEqual([]);
    expect(
      applyPolicy(FINDINGS, { ignore: [entry], now: new Date('2026-06-16T00:00:00Z') }).expiredIgnores,
    ).toEqual([entry]);
  });

  it('suppresses before the severity filter, so an ignored finding is not also filtered', () => {
    const r = applyPolicy(FINDINGS, {
      ignore: [{ id: 'CVE-2023-9999', reason: 'r' }],
      severities: ['critical'],
      now,
    });
    expect(ids(r.suppressed.map((s) => s.finding))).toEqual(['CVE-2023-9999']);
    expect(ids(r.filtered.map((f) => f.finding))).toEqual(['CVE-2024-0001', 'CVE-2021-23337']);
  });
});

describe('applyPolicy with VEX statements', () => {
  const base = {
    vulnerability: ['CVE-2024-0001'],
    products: [{ ids: [LIBSSL.purl], subcomponents: [] }],
  };
  const cases: { status: VexStatement['status']; suppressed: boolean }[] = [
    { status: 'not_affected', suppressed: true },
    { status: 'fixed', suppressed: true },
    { status: 'affected', suppressed: false },
    { status: 'under_investigation', suppressed: false },
  ];
  it.each(cases)('status $status suppresses: $suppressed', ({ status, suppressed }) => {
    const s: VexStatement = {
      ...base,
      status,
      ...(status === 'not_affected' ? { justification: 'vulnerable_code_not_in_execute_path' as const } : {}),
    };
    const r = applyPolicy(FINDINGS, { vex: [s], now });
    expect(r.suppressed.length).toBe(suppressed ? 1 : 0);
    expect(r.kept.length).toBe(suppressed ? 3 : 4);
  });

  it('keeps the justification and impact statement', () => {
    const r = applyPolicy(FINDINGS, {
      vex: [
        {
          ...base,
          status: 'not_affected',
          justification: 'vulnerable_code_not_present',
          impactStatement: 'built without the X.509 code',
          document: 'https://vex.example/1',
        },
      ],
      now,
    });
    expect(r.suppressed[0]?.suppression).toEqual({
      by: 'vex',
      status: 'not_affected',
      justification: 'vulnerable_code_not_present',
      impactStatement: 'built without the X.509 code',
      document: 'https://vex.example/1',
    });
  });

  const imagePurl = `pkg:oci/app@${encodeURIComponent(IMAGE.digest ?? '')}`;
  const productCases: { name: string; products: VexStatement['products']; vuln?: string; hit: boolean }[] = [
    { name: 'the package purl', products: [{ ids: [LIBSSL.purl], subcomponents: [] }], hit: true },
    {
      name: 'a versionless purl',
      products: [{ ids: ['pkg:deb/debian/libssl3'], subcomponents: [] }],
      hit: true,
    },
    { name: 'another package', products: [{ ids: [LODASH.purl], subcomponents: [] }], hit: false },
    { name: 'the image', products: [{ ids: [imagePurl], subcomponents: [] }], hit: true },
    {
      name: 'the image with the package as subcomponent',
      products: [{ ids: [imagePurl], subcomponents: [['pkg:deb/debian/libssl3']] }],
      hit: true,
    },
    {
      name: 'the image with another subcomponent',
      products: [{ ids: [imagePurl], subcomponents: [[LODASH.purl]] }],
      hit: false,
    },
    {
      name: 'another image',
      products: [{ ids: ['pkg:oci/other@sha256%3Aabc'], subcomponents: [] }],
      hit: false,
    },
    { name: 'the image digest', products: [{ ids: [IMAGE.digest ?? ''], subcomponents: [] }], hit: true },
    {
      name: 'an alias',
      vuln: 'DSA-5001-1',
      products: [{ ids: [LIBSSL.purl], subcomponents: [] }],
      hit: true,
    },
    {
      name: 'another vulnerability',
      vuln: 'CVE-1999-1',
      products: [{ ids: [LIBSSL.purl], subcomponents: [] }],
      hit: false,
    },
  ];
  it.each(productCases)('matches a statement naming $name: $hit', ({ products, vuln, hit }) => {
    const r = applyPolicy([finding()], {
      vex: [{ vulnerability: [vuln ?? 'CVE-2024-0001'], products, status: 'fixed' }],
      subject: { ids: [imagePurl, IMAGE.digest ?? '', IMAGE.reference] },
      now,
    });
    expect(r.suppressed.length).toBe(hit ? 1 : 0);
  });

  it('lets the latest statement decide', () => {
    const older: VexStatement = {
      ...base,
      status: 'not_affected',
      justification: 'component_not_present',
      timestamp: '2024-01-01T00:00:00Z',
    };
    const newer: VexStatement = { ...base, status: 'affected', timestamp: '2025-01-01T00:00:00Z' };
    expect(applyPolicy(FINDINGS, { vex: [newer, older], now }).suppressed).toEqual([]);
    expect(
      applyPolicy(FINDINGS, { vex: [{ ...newer, timestamp: '2023-01-01T00:00:00Z' }, older], now })
        .suppressed,
    ).toHaveLength(1);
  });

  it('prefers VEX over an ignore entry', () => {
    const r = applyPolicy(FINDINGS, {
      vex: [{ ...base, status: 'fixed' }],
      ignore: [{ id: 'CVE-2024-0001', reason: 'r' }],
      now,
    });
    expect(r.suppressed[0]?.suppression.by).toBe('vex');
  });
});

describe('exitCodeFor', () => {
  it.each([
    { kept: FINDINGS, exitCode: undefined, code: 1 },
    { kept: FINDINGS, exitCode: 3, code: 3 },
    { kept: [], exitCode: 3, code: 0 },
    { kept: [], exitCode: undefined, code: 0 },
  ])('is $code for $kept.length kept findings and exitCode $exitCode', ({ kept, exitCode, code }) => {
    expect(exitCodeFor(kept, exitCode === undefined ? {} : { exitCode })).toBe(code);
  });
});
