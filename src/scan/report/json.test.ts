import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { SuppressedFinding } from '../gate/index.js';
import { toScanJson } from './json.js';
import { DEBIAN, FINDINGS, RESULT, TARGET } from './testdata/findings.js';

const schema = JSON.parse(
  readFileSync(path.join(import.meta.dirname, 'scan-result.schema.json'), 'utf8'),
) as object;
const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);

function expectValid(doc: unknown): void {
  const ok = validate(doc);
  expect(ok, JSON.stringify(validate.errors?.slice(0, 5), undefined, 1)).toBe(true);
}

const [high, critical, medium, low] = FINDINGS;
if (high === undefined || critical === undefined || medium === undefined || low === undefined) {
  throw new Error('fixture');
}
const suppressed: SuppressedFinding[] = [
  { finding: medium, suppression: { by: 'ignore', reason: 'no fix upstream', expires: '2026-12-31' } },
  {
    finding: low,
    suppression: {
      by: 'vex',
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      impactStatement: 'template() is never called',
      document: 'https://vex.example/1',
    },
  },
];

describe('toScanJson', () => {
  const doc = toScanJson({
    target: TARGET,
    os: DEBIAN,
    results: { ...RESULT, findings: [high, critical] },
    suppressed,
    tool: { name: 'portcullis', version: '0.1.0' },
  });

  it('is valid against the published schema', () => {
    expectValid(doc);
  });

  it('matches the golden file', () => {
    const golden = path.join(import.meta.dirname, 'testdata', 'scan.golden.json');
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, `${JSON.stringify(doc, undefined, 2)}\n`);
    expect(doc).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
  });

  it('marks suppressed findings with the reason or the VEX justification, and counts only kept ones', () => {
    const vulns = doc['vulnerabilities'] as { id: string; suppressed?: unknown }[];
    expect(vulns.map((v) => [v.id, v.suppressed !== undefined])).toEqual([
      ['CVE-2024-0002', false],
      ['CVE-2024-0001', false],
      ['CVE-2021-23337', true],
      ['CVE-2023-9999', true],
    ]);
    expect(vulns[2]?.suppressed).toMatchObject({
      by: 'vex',
      justification: 'vulnerable_code_not_in_execute_path',
    });
    expect(vulns[3]?.suppressed).toEqual({ by: 'ignore', reason: 'no fix upstream', expires: '2026-12-31' });
    expect(doc['summary']).toEqual({
      critical: 1,
      high: 1,
      medium: 0,
      low: 0,
      negligible: 0,
      unknown: 0,
      suppressed: 2,
    });
  });

  it('gives each package and finding its layer and the step that made it', () => {
    const pkgs = doc['packages'] as { name: string; layer: { createdBy?: string }; sourceName?: string }[];
    expect(pkgs.find((p) => p.name === 'lodash')?.layer.createdBy).toBe('RUN npm ci');
    expect(pkgs.find((p) => p.name === 'libssl3')?.sourceName).toBe('openssl');
    const vulns = doc['vulnerabilities'] as { id: string; layer?: string; createdBy?: string }[];
    expect(vulns[2]?.createdBy).toBe('RUN npm ci');
    expect(vulns[2]?.layer).toMatch(/^sha256:/);
  });

  it.each([
    {
      name: 'no OS, no digest, no findings, no tool',
      os: undefined,
      target: { name: 'rootfs:/x', reference: 'rootfs:/x' },
    },
    { name: 'an OS without version', os: { ...DEBIAN, version: undefined }, target: TARGET },
  ])('is valid with $name', ({ os, target }) => {
    const d = toScanJson({
      target,
      os,
      results: { inventory: { os, packages: [], gaps: [], warnings: ['w'] }, findings: [], warnings: [] },
    });
    expectValid(d);
    expect(d['os'] === undefined).toBe(os === undefined);
    expect(d['warnings']).toEqual(['w']);
  });

  it('is rejected by the schema when a field has the wrong type (the schema is not vacuous)', () => {
    expect(validate({ ...doc, schemaVersion: 2 })).toBe(false);
    expect(validate({ ...doc, vulnerabilities: [{ id: 'x' }] })).toBe(false);
    expect(validate({ ...doc, extra: true })).toBe(false);
  });
});
