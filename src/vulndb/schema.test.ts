// Verdicts on real OSV data: the osv-schema repository's test records (../shared/data/osv-schema,
// see its SOURCES.md) and a sample of the staged Go database, each checked against the official
// JSON schema (schema.json, with ajv) as the oracle.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../testing/fixtures.js';
import { parseOsvRecord, safeParseOsvRecord } from './schema.js';

const schemaDir = sharedData('osv-schema');

function listJson(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(dir, f))
    .sort();
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

const examples = [
  ...listJson(path.join(schemaDir, 'osv-linter')),
  ...listJson(path.join(schemaDir, 'ghsa')),
  ...listJson(path.join(schemaDir, 'redhat')),
].map((file) => ({ name: path.relative(schemaDir, file), file }));

// What the official schema says about each example (checked below against ajv, too): GHSA API
// objects and Red Hat CSAF documents are the converters' inputs, not OSV; one linter case has
// ranges without an introduced event.
function expectedValid(name: string): boolean {
  if (name.startsWith('ghsa/')) return name.endsWith('.osv.json');
  if (name.startsWith('redhat/')) return name.startsWith('redhat/testdata/OSV/');
  return !name.includes('nointroduced-');
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const validateOfficial = ajv.compile(readJson(path.join(schemaDir, 'schema.json')) as object);

describe('OSV schema verdicts on the osv-schema test records', () => {
  it('finds the staged examples', () => {
    expect(examples.length).toBe(37);
  });

  it.each(examples)('$name', ({ name, file }) => {
    const input = readJson(file);
    const ours = safeParseOsvRecord(input);
    expect(ours.ok).toBe(expectedValid(name));
    expect(validateOfficial(input)).toBe(ours.ok);
    if (!ours.ok) expect(ours.reason.length).toBeGreaterThan(0);
  });
});

describe('OSV schema agrees with the official JSON schema on real records', () => {
  it('accepts a sample of the Go vulnerability database that ajv accepts', () => {
    const files = listJson(sharedData('osv-go', 'sample'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const input = readJson(file);
      expect(validateOfficial(input), file).toBe(true);
      expect(safeParseOsvRecord(input).ok, file).toBe(true);
    }
  });

  const base = {
    id: 'GHSA-aaaa-bbbb-cccc',
    modified: '2024-01-02T03:04:05Z',
    affected: [
      {
        package: { ecosystem: 'PyPI', name: 'jinja2' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.11.3' }] }],
      },
    ],
  };
  const mutate = (f: (r: Record<string, unknown>) => void): Record<string, unknown> => {
    const r = structuredClone(base) as Record<string, unknown>;
    f(r);
    return r;
  };
  const range = (r: Record<string, unknown>): Record<string, unknown> =>
    ((r['affected'] as Record<string, unknown>[])[0]?.['ranges'] as Record<string, unknown>[])[0] ?? {};

  const cases: { name: string; record: Record<string, unknown>; valid: boolean }[] = [
    { name: 'a minimal record', record: base, valid: true },
    {
      name: 'fractional seconds',
      record: mutate((r) => (r['modified'] = '2024-01-02T03:04:05.123456Z')),
      valid: true,
    },
    {
      name: 'null aliases and references',
      record: mutate((r) => Object.assign(r, JSON.parse('{"aliases": null, "references": null}') as object)),
      valid: true,
    },
    { name: 'no id', record: mutate((r) => delete r['id']), valid: false },
    { name: 'no modified', record: mutate((r) => delete r['modified']), valid: false },
    { name: 'a date without time', record: mutate((r) => (r['modified'] = '2024-01-02')), valid: false },
    { name: 'an unknown range type', record: mutate((r) => (range(r)['type'] = 'RPM')), valid: false },
    {
      name: 'an event with two kinds',
      record: mutate((r) => (range(r)['events'] = [{ introduced: '0', fixed: '1' }])),
      valid: false,
    },
    {
      name: 'fixed and last_affected together',
      record: mutate(
        (r) => (range(r)['events'] = [{ introduced: '0' }, { fixed: '1' }, { last_affected: '2' }]),
      ),
      valid: false,
    },
    {
      name: 'a GIT range without repo',
      record: mutate((r) => (range(r)['type'] = 'GIT')),
      valid: false,
    },
    {
      name: 'a bad CVSS v3 vector',
      record: mutate((r) => (r['severity'] = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:Q' }])),
      valid: false,
    },
    {
      name: 'an unknown reference type',
      record: mutate((r) => (r['references'] = [{ type: 'BLOG', url: 'https://example.com' }])),
      valid: false,
    },
    {
      name: 'an array where an object belongs',
      record: mutate((r) => (r['database_specific'] = [])),
      valid: false,
    },
  ];

  it.each(cases)('$name: valid=$valid, as the JSON schema says', ({ record, valid }) => {
    expect(validateOfficial(record)).toBe(valid);
    expect(safeParseOsvRecord(record).ok).toBe(valid);
  });

  it('keeps fields it does not know', () => {
    const r = safeParseOsvRecord({ ...base, x_vendor: { a: 1 } });
    expect(r.ok && (r.record as unknown as Record<string, unknown>)['x_vendor']).toEqual({ a: 1 });
  });

  it('reports the id and the offending field of an invalid record', () => {
    const r = safeParseOsvRecord(mutate((r) => (r['modified'] = 'yesterday')));
    expect(r).toMatchObject({ ok: false, id: 'GHSA-aaaa-bbbb-cccc' });
    expect(!r.ok && r.reason).toMatch(/modified/);
  });

  it('parseOsvRecord returns the record or throws INPUT_INVALID naming it', () => {
    expect(parseOsvRecord(base).id).toBe('GHSA-aaaa-bbbb-cccc');
    expect(() => parseOsvRecord(mutate((r) => delete r['modified']))).toThrow(
      expect.objectContaining({
        code: 'INPUT_INVALID',
        message: expect.stringMatching(/GHSA-aaaa-bbbb-cccc.*modified/) as unknown,
      }),
    );
    expect(() => parseOsvRecord('not an object')).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
  });

  // Deliberate differences from schema.json: ecosystems and id prefixes it does not (yet) list.
  it('accepts ecosystems and id prefixes newer than the staged schema', () => {
    const r = mutate((r) => {
      r['id'] = 'NEWDB-2030-1';
      ((r['affected'] as Record<string, unknown>[])[0] ?? {})['package'] = {
        ecosystem: 'NewEco:1',
        name: 'x',
      };
    });
    expect(validateOfficial(r)).toBe(false);
    expect(safeParseOsvRecord(r).ok).toBe(true);
  });
});
