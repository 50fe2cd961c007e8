import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { Severity } from '../types.js';
import { sarifLevel, securitySeverity, toSarif } from './sarif.js';
import { DEBIAN, FINDINGS, RESULT, TARGET, finding } from './testdata/findings.js';

// ajv-formats is CommonJS: its plugin is module.exports and, for typed importers, `.default`.
const addFormats = addFormatsModule.default;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(
  JSON.parse(
    readFileSync(path.join(import.meta.dirname, 'testdata', 'sarif-schema-2.1.0.json'), 'utf8'),
  ) as object,
);

function expectValid(doc: unknown): void {
  expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5), undefined, 1)).toBe(true);
}

type Run = {
  tool: {
    driver: {
      rules: {
        id: string;
        defaultConfiguration: { level: string };
        properties: Record<string, unknown>;
        help: { text: string };
      }[];
    };
  };
  results: {
    ruleId: string;
    ruleIndex: number;
    level: string;
    locations: {
      physicalLocation?: { artifactLocation: { uri: string } };
      logicalLocations: { fullyQualifiedName?: string; kind: string }[];
    }[];
    suppressions?: { kind: string; state: string; justification: string }[];
  }[];
};

function runOf(doc: Record<string, unknown>): Run {
  const runs = doc['runs'] as Run[];
  const [run] = runs;
  if (run === undefined) throw new Error('no run');
  return run;
}

const [high, , medium] = FINDINGS;
if (high === undefined || medium === undefined) throw new Error('fixture');

describe('toSarif', () => {
  const input = {
    target: TARGET,
    os: DEBIAN,
    results: RESULT,
    tool: { name: 'portcullis', version: '0.1.0' },
  };

  it('is valid SARIF 2.1.0', () => {
    expectValid(toSarif(input));
  });

  it('matches the golden file', () => {
    const doc = toSarif(input);
    const golden = path.join(import.meta.dirname, 'testdata', 'scan.golden.sarif');
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, `${JSON.stringify(doc, undefined, 2)}\n`);
    expect(doc).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
  });

  it('writes one rule per id and one result per finding, each result pointing at its rule', () => {
    const run = runOf(toSarif(input));
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual([
      'CVE-2021-23337',
      'CVE-2023-9999',
      'CVE-2024-0001',
      'CVE-2024-0002',
    ]);
    expect(run.results).toHaveLength(4);
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]?.id).toBe(r.ruleId);
  });

  it('gives rules a level and the security-severity GitHub ranks by', () => {
    const rules = new Map(runOf(toSarif(input)).tool.driver.rules.map((r) => [r.id, r]));
    expect(rules.get('CVE-2024-0002')?.properties['security-severity']).toBe('9.8');
    expect(rules.get('CVE-2024-0002')?.defaultConfiguration.level).toBe('error');
    expect(rules.get('CVE-2023-9999')?.properties['security-severity']).toBe('5.5');
    expect(rules.get('CVE-2023-9999')?.defaultConfiguration.level).toBe('warning');
    expect(rules.get('CVE-2021-23337')?.properties['security-severity']).toBe('2.0');
    expect(rules.get('CVE-2024-0001')?.help.text).toContain('Fixed versions: 3.0.13-1~deb12u1');
  });

  it('locates results at the package file and its purl', () => {
    const result = runOf(toSarif(input)).results.find((r) => r.ruleId === 'CVE-2021-23337');
    expect(result?.locations[0]?.physicalLocation?.artifactLocation.uri).toBe(
      'app/node_modules/lodash/package.json',
    );
    expect(result?.locations[0]?.logicalLocations[0]).toMatchObject({
      fullyQualifiedName: 'pkg:npm/lodash@4.17.20',
      kind: 'package',
    });
  });

  it('marks suppressed findings with a SARIF suppression carrying the reason', () => {
    const doc = toSarif({
      ...input,
      results: { ...RESULT, findings: [high] },
      suppressed: [
        { finding: medium, suppression: { by: 'ignore', reason: 'no fix upstream' } },
        {
          finding: finding({ id: 'CVE-2024-7777' }),
          suppression: { by: 'vex', status: 'not_affected', justification: 'component_not_present' },
        },
      ],
    });
    expectValid(doc);
    const results = runOf(doc).results;
    expect(results.find((r) => r.ruleId === 'CVE-2024-0001')?.suppressions).toBeUndefined();
    expect(results.find((r) => r.ruleId === 'CVE-2023-9999')?.suppressions).toEqual([
      expect.objectContaining({ kind: 'external', state: 'accepted', justification: 'no fix upstream' }),
    ]);
    expect(results.find((r) => r.ruleId === 'CVE-2024-7777')?.suppressions?.[0]?.justification).toBe(
      'VEX not_affected: component_not_present',
    );
  });

  it('stays valid with paths that need encoding, no purl, no OS, no references and no findings', () => {
    const odd = finding({
      package: {
        ...high.package,
        purl: '',
        location: { ...high.package.location, path: 'opt/my app/ünï.jar' },
      },
      references: ['not a uri'],
      title: undefined,
      description: undefined,
    });
    const doc = toSarif({
      target: { name: 'x', reference: 'x' },
      os: undefined,
      results: { ...RESULT, findings: [odd] },
    });
    expectValid(doc);
    expect(runOf(doc).results[0]?.locations[0]?.physicalLocation?.artifactLocation.uri).toBe(
      'opt/my%20app/%C3%BCn%C3%AF.jar',
    );
    expectValid(
      toSarif({ target: { name: 'x', reference: 'x' }, os: undefined, results: { ...RESULT, findings: [] } }),
    );
  });

  it('is rejected by the schema when broken (the schema is not vacuous)', () => {
    const doc = toSarif(input);
    expect(validate({ ...doc, version: '2.0.0' })).toBe(false);
    expect(validate({ ...doc, runs: [{ results: [] }] })).toBe(false);
    const run = runOf(doc);
    expect(
      validate({
        ...doc,
        runs: [{ ...run, results: [{ ruleId: 'x', level: 'fatal', message: { text: 'm' } }] }],
      }),
    ).toBe(false);
  });
});

describe('severity mapping', () => {
  it.each<[Severity, string, number]>([
    ['critical', 'error', 9.5],
    ['high', 'error', 8.0],
    ['medium', 'warning', 5.5],
    ['low', 'note', 2.0],
    ['negligible', 'note', 0],
    ['unknown', 'note', 0],
  ])('%s is level %s and, without CVSS, security-severity %d', (severity, level, score) => {
    expect(sarifLevel(severity)).toBe(level);
    expect(securitySeverity(finding({ severity, severitySource: 'distro', cvssScore: 7.1 }))).toBe(score);
  });

  it('uses the CVSS score when the severity came from it', () => {
    expect(securitySeverity(finding({ severity: 'high', severitySource: 'cvss_v3', cvssScore: 7.1 }))).toBe(
      7.1,
    );
  });
});
