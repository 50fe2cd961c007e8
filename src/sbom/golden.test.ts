// Golden files for one small inventory. They change only on purpose: regenerate with
// `UPDATE_GOLDEN=1 npx vitest run src/sbom/golden.test.ts`, format them with Prettier, and
// review the diff. The comparison is on parsed JSON, so formatting never fails it.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toCycloneDx } from './cyclonedx.js';
import { toSpdx } from './spdx.js';
import { IMAGE, SMALL } from '../testing/sbom-inventories.js';

const input = {
  image: IMAGE,
  inventory: SMALL,
  tool: { name: 'portcullis', version: '0.1.0' },
  timestamp: new Date('2024-05-06T07:08:09Z'),
  serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
};

const cases = [
  { file: 'cyclonedx.golden.json', make: () => toCycloneDx(input) },
  { file: 'spdx.golden.json', make: () => toSpdx(input) },
];

describe('SBOM golden files', () => {
  it.each(cases)('$file matches what the writer produces', ({ file, make }) => {
    const golden = path.join(import.meta.dirname, 'testdata', file);
    const got = make();
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, `${JSON.stringify(got, undefined, 2)}\n`);
    expect(got).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
  });
});
