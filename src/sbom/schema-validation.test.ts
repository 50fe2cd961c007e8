// Generated SBOMs checked against the official JSON schemas: CycloneDX 1.6 (with the SPDX
// license-id and JSF schemas it references) as shipped in @cyclonedx/cyclonedx-library's
// res/schema, and SPDX 2.3 from spdx/spdx-spec (testdata/SOURCES.md).
import { describe, expect, it } from 'vitest';
import type { Inventory } from '../inventory/index.js';
import { toCycloneDx } from './cyclonedx.js';
import { toSpdx } from './spdx.js';
import { EMPTY, IMAGE, MIXED, SMALL } from '../testing/sbom-inventories.js';
import { cycloneDxValidator, errorsOf, spdxValidator } from '../testing/sbom-schemas.js';
import type { ImageSubject } from './types.js';

const validateCdx = cycloneDxValidator();
const validateSpdx = spdxValidator();

const common = {
  tool: { name: 'portcullis', version: '0.1.0' },
  timestamp: new Date('2024-05-06T07:08:09.123Z'),
  serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
};

const ROOTFS: ImageSubject = {
  reference: 'rootfs:/srv/root',
  name: 'root',
  repositoryUrl: undefined,
  tag: undefined,
  digest: undefined,
  indexDigest: undefined,
  configDigest: undefined,
  platform: undefined,
  architecture: undefined,
  layers: [],
};

const cases: { name: string; image: ImageSubject; inventory: Inventory }[] = [
  {
    name: 'every package type, licenses of every form, declared-only and odd names',
    image: IMAGE,
    inventory: MIXED,
  },
  { name: 'the small golden case', image: IMAGE, inventory: SMALL },
  { name: 'an empty inventory', image: IMAGE, inventory: EMPTY },
  { name: 'a rootfs without digest, layers or OS', image: ROOTFS, inventory: { ...MIXED, os: undefined } },
];

describe('generated CycloneDX validates against the CycloneDX 1.6 JSON schema', () => {
  it.each(cases)('$name', ({ image, inventory }) => {
    const bom = toCycloneDx({ ...common, image, inventory });
    expect(validateCdx(bom), errorsOf(validateCdx)).toBe(true);
  });

  it('rejects a BOM that breaks the schema (the validator is not a no-op)', () => {
    const bom = {
      ...toCycloneDx({ ...common, image: IMAGE, inventory: SMALL }),
      components: [{ name: 'x' }],
    };
    expect(validateCdx(bom)).toBe(false);
  });
});

describe('generated SPDX validates against the SPDX 2.3 JSON schema', () => {
  it.each(cases)('$name', ({ image, inventory }) => {
    const doc = toSpdx({ ...common, image, inventory });
    expect(validateSpdx(doc), errorsOf(validateSpdx)).toBe(true);
  });

  it('rejects a document that breaks the schema (the validator is not a no-op)', () => {
    const doc = {
      ...toSpdx({ ...common, image: IMAGE, inventory: SMALL }),
      packages: [{ SPDXID: 'SPDXRef-x' }],
    };
    expect(validateSpdx(doc)).toBe(false);
  });

  it('uses only SPDXIDs of the clause 7.2 form and relationships between elements that exist', () => {
    const doc = toSpdx({ ...common, image: IMAGE, inventory: MIXED }) as {
      packages: { SPDXID: string }[];
      relationships: { spdxElementId: string; relatedSpdxElement: string }[];
    };
    const ids = doc.packages.map((p) => p.SPDXID);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(new Set(ids).size).toBe(ids.length);
    const known = new Set([...ids, 'SPDXRef-DOCUMENT']);
    for (const r of doc.relationships) {
      expect(known.has(r.spdxElementId)).toBe(true);
      expect(known.has(r.relatedSpdxElement)).toBe(true);
    }
  });
});
