import { describe, expect, it } from 'vitest';
import { sarifValidator } from '../testing/scan-schemas.js';
import { ReportError } from './errors.js';
import { formatLintSarif, lintSarifLevel, lintSecuritySeverity, toLintSarif } from './sarif.js';
import { FINDINGS, RAW_SECRET, RULES, TOOL } from './testdata/findings.js';
import { expectGoldenJson } from './testdata/golden.js';

type Doc = {
  runs: {
    tool: {
      driver: {
        informationUri: string;
        rules: {
          id: string;
          name: string;
          helpUri: string;
          shortDescription: { text: string };
          help: { text: string; markdown: string };
          defaultConfiguration: { level: string };
          properties: { tags: string[]; 'security-severity': string };
        }[];
      };
    };
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      locations: {
        physicalLocation: {
          artifactLocation: { uri: string; uriBaseId?: string };
          region?: { startLine: number; startColumn: number };
        };
        logicalLocations?: { name: string; fullyQualifiedName: string }[];
      }[];
      properties: Record<string, unknown>;
    }[];
  }[];
};

const validate = sarifValidator();
const doc = toLintSarif(FINDINGS, { tool: TOOL, rules: RULES }) as unknown as Doc;
const run = doc.runs[0];
if (run === undefined) throw new Error('no run');

describe('toLintSarif', () => {
  it('is valid SARIF 2.1.0 against the OASIS schema, with and without findings', () => {
    for (const d of [doc, toLintSarif([], { tool: TOOL, rules: RULES })]) {
      const ok = validate(d);
      expect(ok, JSON.stringify(validate.errors?.slice(0, 5), undefined, 1)).toBe(true);
    }
  });

  it('matches the golden file', () => {
    expectGoldenJson('lint.golden.sarif', formatLintSarif(FINDINGS, { tool: TOOL, rules: RULES }));
  });

  it('lists metadata for exactly the rules with results, sorted by id', () => {
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual([
      'PC-DF-001',
      'PC-DF-002',
      'PC-DF-009',
      'PC-DF-014',
      'PC-IMG-003',
    ]);
    const r = run.tool.driver.rules[0];
    expect(r).toMatchObject({
      name: 'BaseImageIsUntaggedOrUsesLatest',
      shortDescription: { text: 'Base image is untagged or uses latest' },
      helpUri: 'https://github.com/portcullis-dev/portcullis/blob/main/docs/rules/PC-DF-001.md',
      defaultConfiguration: { level: 'warning' },
      properties: { tags: ['security', 'dockerfile', 'medium'], 'security-severity': '5.5' },
    });
    expect(r?.help.text).toContain('Name a specific version tag');
    expect(r?.help.markdown).toContain('hadolint DL3006, DL3007');
    expect(run.tool.driver.informationUri).toBe('https://github.com/portcullis-dev/portcullis/');
  });

  it('points each result at its rule, file region and (for images) layer', () => {
    for (const res of run.results) {
      expect(run.tool.driver.rules[res.ruleIndex]?.id).toBe(res.ruleId);
    }
    expect(run.results.map((r) => [r.ruleId, r.level])).toEqual([
      ['PC-DF-001', 'warning'],
      ['PC-DF-014', 'error'],
      ['PC-DF-009', 'error'],
      // The policy override (low → medium) wins over the rule's default level.
      ['PC-DF-002', 'warning'],
      ['PC-IMG-003', 'error'],
    ]);
    expect(run.results[2]?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'Dockerfile', uriBaseId: '%SRCROOT%' },
      region: { startLine: 3, startColumn: 5 },
    });
    expect(run.results[3]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(
      'services/web%20app/Dockerfile',
    );
    const image = run.results[4];
    expect(image?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'registry.example%3A5000/team/app%3A1.0', uriBaseId: '%SRCROOT%' },
    });
    expect(image?.locations[0]?.logicalLocations).toEqual([
      {
        name: 'layer 2',
        fullyQualifiedName: `registry.example:5000/team/app:1.0@sha256:${'3f'.repeat(32)}`,
        kind: 'layer',
      },
    ]);
    expect(image?.properties).toMatchObject({ layerIndex: 2, layerDigest: `sha256:${'3f'.repeat(32)}` });
  });

  it('makes absolute paths file URIs', () => {
    const [first] = FINDINGS;
    if (first === undefined) throw new Error('fixture');
    const d = toLintSarif([{ ...first, path: '/src/a b/Dockerfile' }], {
      tool: TOOL,
      rules: RULES,
    }) as unknown as Doc;
    expect(d.runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation).toEqual({
      uri: 'file:///src/a%20b/Dockerfile',
    });
    expect(validate(d)).toBe(true);
  });

  it('keeps code spans in Markdown help and escapes HTML-like text outside them', () => {
    const [rule] = RULES;
    const [first] = FINDINGS;
    if (rule === undefined || first === undefined) throw new Error('fixture');
    const d = toLintSarif([first], {
      tool: TOOL,
      rules: [{ ...rule, hint: 'Add `USER <uid>` after <steps> that_need root.' }],
    }) as unknown as Doc;
    expect(d.runs[0]?.tool.driver.rules[0]?.help.markdown).toContain(
      'Fix: Add `USER <uid>` after \\<steps\\> that\\_need root.',
    );
  });

  it('throws RULE_UNKNOWN when a finding has no rule metadata', () => {
    expect(() => toLintSarif(FINDINGS, { tool: TOOL, rules: RULES.slice(1) })).toThrow(
      expect.objectContaining({ code: 'RULE_UNKNOWN' }) as ReportError,
    );
  });

  it('never contains the raw secret the Dockerfile held', () => {
    expect(formatLintSarif(FINDINGS, { tool: TOOL, rules: RULES })).not.toContain(RAW_SECRET);
  });
});

describe('severity bands (as scan SARIF: GitHub critical ≥ 9, high 7–8.9, medium 4–6.9, low < 4)', () => {
  it.each([
    ['critical', 'error', '9.5'],
    ['high', 'error', '8.0'],
    ['medium', 'warning', '5.5'],
    ['low', 'note', '2.0'],
    ['info', 'note', '0.0'],
  ] as const)('%s → level %s, security-severity %s', (severity, level, score) => {
    expect(lintSarifLevel(severity)).toBe(level);
    expect(lintSecuritySeverity(severity)).toBe(score);
  });
});
