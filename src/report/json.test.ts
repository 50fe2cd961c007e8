import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../testing/fixtures.js';
import { countBySeverity, formatLintJson, toLintJson } from './json.js';
import { FINDINGS, RAW_SECRET, TOOL } from './testdata/findings.js';
import { expectGoldenJson } from './testdata/golden.js';

const schema = JSON.parse(
  readFileSync(path.join(repoRoot, 'docs', 'lint-json.schema.json'), 'utf8'),
) as object;
const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);

function errorsOf(doc: unknown): string {
  validate(doc);
  return JSON.stringify(validate.errors?.slice(0, 5), undefined, 1);
}

describe('toLintJson', () => {
  const doc = toLintJson(FINDINGS, TOOL);

  it('is valid against docs/lint-json.schema.json, with and without findings', () => {
    expect(validate(doc), errorsOf(doc)).toBe(true);
    const empty = toLintJson([], TOOL);
    expect(validate(empty), errorsOf(empty)).toBe(true);
  });

  it('matches the golden file', () => {
    expectGoldenJson('lint.golden.json', formatLintJson(FINDINGS, TOOL));
  });

  it('counts every severity, zero included, and the total', () => {
    expect(doc.summary).toEqual({ critical: 1, high: 2, medium: 2, low: 0, info: 0, total: 5 });
    expect(countBySeverity([])).toEqual({ critical: 0, high: 0, medium: 0, low: 0, info: 0, total: 0 });
  });

  it('keeps the layer of image findings and copies only documented fields', () => {
    const extra = { ...FINDINGS[0], internal: 'x' } as unknown as (typeof FINDINGS)[number];
    const withExtra = toLintJson([extra], TOOL);
    expect(validate(withExtra), errorsOf(withExtra)).toBe(true);
    expect(doc.findings.at(-1)?.layer).toEqual({ index: 2, digest: `sha256:${'3f'.repeat(32)}` });
  });

  it('never contains the raw secret the Dockerfile held', () => {
    expect(formatLintJson(FINDINGS, TOOL)).not.toContain(RAW_SECRET);
  });
});

describe('the lint JSON schema', () => {
  const good = toLintJson(FINDINGS, TOOL);
  it.each([
    // Written as JSON because a null is what a careless writer would emit, and house style keeps null out of code.
    [
      'a null layer',
      { ...good, findings: [{ ...good.findings[0], ...(JSON.parse('{"layer":null}') as object) }] },
    ],
    ['an unknown severity', { ...good, findings: [{ ...good.findings[0], severity: 'severe' }] }],
    ['a missing summary', { schemaVersion: 1, tool: TOOL, findings: [] }],
    ['another schemaVersion', { ...good, schemaVersion: 2 }],
    ['an unknown top-level field', { ...good, extra: true }],
    ['a malformed rule id', { ...good, findings: [{ ...good.findings[0], ruleId: 'DL3006' }] }],
  ])('rejects %s', (_name, doc) => {
    expect(validate(doc)).toBe(false);
  });
});
