// End to end on a real image: the Debian 12 fixture (debootstrap minbase packaged with umoci by
// the test set-up) is inventoried by the inventory runner, written as CycloneDX and SPDX,
// checked against the official schemas, and read back.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildInventory, type Inventory, type Package } from '../inventory/index.js';
import { openImageSource, type LayeredImage } from '../oci/index.js';
import { debianFixture } from '../testing/fixtures.js';
import { toCycloneDx } from './cyclonedx.js';
import { ociPurl } from './purl.js';
import { readSbom } from './read.js';
import { toSpdx } from './spdx.js';
import { imageSubject } from './subject.js';
import { cycloneDxValidator, errorsOf, spdxValidator } from '../testing/sbom-schemas.js';
import type { ImageSubject, SbomInput } from './types.js';

const noRegistry = () => {
  throw new Error('this test reads local images only');
};

function key(p: Package): string {
  return `${p.purl} ${p.version} ${p.source?.name ?? ''} ${p.location.path}`;
}

describe('SBOMs of the Debian 12 image', () => {
  let image: LayeredImage;
  let inventory: Inventory;
  let subject: ImageSubject;
  let input: SbomInput;

  beforeAll(async () => {
    const { layout } = debianFixture();
    const source = await openImageSource(`oci:${layout}:bookworm`, { registry: noRegistry });
    try {
      const opened = await source.open();
      if (opened.kind !== 'layered') throw new Error('expected a layered image');
      image = opened;
      inventory = await buildInventory(image);
    } finally {
      await source.close();
    }
    subject = imageSubject(image);
    input = { image: subject, inventory, tool: { name: 'portcullis', version: '0.1.0' } };
  });

  it('names the image from its layout and tag and keeps its digests and layers', () => {
    expect(subject).toMatchObject({
      name: 'layout',
      tag: 'bookworm',
      digest: image.digest,
      configDigest: image.configDigest,
    });
    expect(subject.layers.map((l) => l.diffID)).toEqual(image.layers.map((l) => l.diffID));
    expect(inventory.packages.length).toBeGreaterThan(80);
  });

  it('writes CycloneDX 1.6 that the schema accepts and that reads back to the same packages', () => {
    const bom = toCycloneDx(input);
    const validate = cycloneDxValidator();
    expect(validate(bom), errorsOf(validate)).toBe(true);
    const back = readSbom(Buffer.from(JSON.stringify(bom)), 'debian.cdx.json');
    expect(back.inventory.packages.map(key).sort()).toEqual(inventory.packages.map(key).sort());
    expect(back.inventory.os).toEqual(inventory.os);
    expect(back.subject).toMatchObject({ digest: image.digest, purl: ociPurl(subject), kind: 'container' });
    expect(back.inventory.gaps).toEqual([]);
  });

  it('writes SPDX 2.3 that the schema accepts and that reads back to the same packages', () => {
    const doc = toSpdx(input);
    const validate = spdxValidator();
    expect(validate(doc), errorsOf(validate)).toBe(true);
    const back = readSbom(Buffer.from(JSON.stringify(doc)), 'debian.spdx.json');
    expect(back.inventory.packages.map(key).sort()).toEqual(inventory.packages.map(key).sort());
    expect(back.inventory.os).toEqual(inventory.os);
    expect(back.subject).toMatchObject({ digest: image.digest, purl: ociPurl(subject) });
  });

  it('keeps the Debian licenses the copyright files declare', () => {
    const bom = toCycloneDx(input) as { components: { name: string; licenses?: unknown[] }[] };
    const withLicenses = inventory.packages.filter((p) => p.licenses.length > 0);
    const written = bom.components.filter((c) => (c.licenses?.length ?? 0) > 0);
    expect(written.length).toBe(withLicenses.length);
  });
});
