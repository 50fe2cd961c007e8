import { describe, expect, it } from 'vitest';
import type { Package } from '../inventory/index.js';
import { toCycloneDx } from './cyclonedx.js';
import { isPortcullisError } from '../core/index.js';
import { IMAGE, MIXED } from '../testing/sbom-inventories.js';

type Component = {
  type: string;
  'bom-ref'?: string;
  name: string;
  group?: string;
  version?: string;
  purl?: string;
  hashes?: { alg: string; content: string }[];
  licenses?: ({ license: { id?: string; name?: string } } | { expression: string })[];
  properties?: { name: string; value: string }[];
};
type Bom = {
  specVersion: string;
  serialNumber: string;
  metadata: { timestamp: string; tools: { components: Component[] }; component: Component };
  components: Component[];
};

const base = {
  tool: { name: 'portcullis', version: '0.1.0' },
  timestamp: new Date('2024-05-06T07:08:09Z'),
  serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
  image: IMAGE,
};

function bomOf(packages: readonly Package[] = MIXED.packages): Bom {
  return toCycloneDx({ ...base, inventory: { ...MIXED, packages } }) as unknown as Bom;
}

function prop(c: Component, name: string): string | undefined {
  return c.properties?.find((p) => p.name === name)?.value;
}

function byPurl(bom: Bom, purl: string): Component[] {
  return bom.components.filter((c) => c.purl === purl);
}

describe('toCycloneDx', () => {
  const bom = bomOf();

  it('writes CycloneDX 1.6 with the given serial number, timestamp and tool', () => {
    expect(bom.specVersion).toBe('1.6');
    expect(bom.serialNumber).toBe(base.serialNumber);
    expect(bom.metadata.timestamp).toBe('2024-05-06T07:08:09.000Z');
    expect(bom.metadata.tools.components).toEqual([
      { type: 'application', name: 'portcullis', version: '0.1.0' },
    ]);
  });

  it('describes the image as a container component with its manifest digest as hash and oci purl', () => {
    const image = bom.metadata.component;
    const hex = (IMAGE.digest ?? '').slice('sha256:'.length);
    expect(image).toMatchObject({
      type: 'container',
      name: 'registry.example:5000/team/app-server',
      version: IMAGE.digest,
      hashes: [{ alg: 'SHA-256', content: hex }],
      purl: `pkg:oci/app-server@sha256%3A${hex}?arch=amd64&repository_url=registry.example%3A5000/team/app-server&tag=1.0`,
    });
    expect(image['bom-ref']).toBe(image.purl);
    expect(prop(image, 'portcullis:image:configDigest')).toBe(IMAGE.configDigest);
    expect(prop(image, 'portcullis:image:platform')).toBe('linux/amd64');
    expect(prop(image, 'portcullis:image:layer:1:diffID')).toBe(IMAGE.layers[1]?.diffID);
    expect(prop(image, 'portcullis:image:layer:1:createdBy')).toBe(IMAGE.layers[1]?.createdBy);
  });

  it('lists the OS as an operating-system component', () => {
    const os = bom.components.filter((c) => c.type === 'operating-system');
    expect(os).toEqual([
      expect.objectContaining({
        name: 'debian',
        version: '12',
        'bom-ref': 'os:debian@12',
        description: 'Debian GNU/Linux 12 (bookworm)',
      }),
    ]);
  });

  it('writes one library component per package, with bom-refs taken from purls', () => {
    const libs = bom.components.filter((c) => c.type === 'library');
    expect(libs).toHaveLength(MIXED.packages.length);
    const refs = libs.map((c) => c['bom-ref']);
    expect(new Set(refs).size).toBe(refs.length);
    for (const c of libs) expect(c['bom-ref']?.startsWith(c.purl ?? '-')).toBe(true);
  });

  it('keeps the same purl installed at two paths as two components told apart by location', () => {
    const lodash = byPurl(bom, 'pkg:npm/lodash@4.17.21');
    expect(lodash.map((c) => prop(c, 'portcullis:location:path')).sort()).toEqual([
      'app/node_modules/legacy/node_modules/lodash/package.json',
      'app/node_modules/lodash/package.json',
    ]);
    expect(lodash.map((c) => c['bom-ref'])).toEqual([
      'pkg:npm/lodash@4.17.21|app/node_modules/legacy/node_modules/lodash/package.json',
      'pkg:npm/lodash@4.17.21|app/node_modules/lodash/package.json',
    ]);
  });

  it('puts npm scopes and Maven groupIds in group and names Go modules by their whole path', () => {
    expect(byPurl(bom, 'pkg:npm/%40babel/core@7.23.2')[0]).toMatchObject({ group: '@babel', name: 'core' });
    expect(byPurl(bom, 'pkg:maven/org.apache.commons/commons-lang3@3.14.0')[0]).toMatchObject({
      group: 'org.apache.commons',
      name: 'commons-lang3',
    });
    const go = byPurl(bom, 'pkg:golang/github.com/sirupsen/logrus@v1.9.3')[0];
    expect(go?.name).toBe('github.com/sirupsen/logrus');
    expect(go?.group).toBeUndefined();
  });

  it('records location, layer, source package, arch, metadata and declaredOnly as properties', () => {
    const ssl = bom.components.find((c) => c.name === 'libssl3');
    expect(ssl && Object.fromEntries((ssl.properties ?? []).map((p) => [p.name, p.value]))).toEqual({
      'portcullis:location:path': 'var/lib/dpkg/status',
      'portcullis:location:layerIndex': '0',
      'portcullis:location:layerDiffID': IMAGE.layers[0]?.diffID,
      'portcullis:location:createdBy': IMAGE.layers[0]?.createdBy,
      'portcullis:source:name': 'openssl',
      'portcullis:source:version': '3.0.11-1~deb12u2',
      'portcullis:package:arch': 'amd64',
    });
    const leftPad = bom.components.find((c) => c.name === 'left-pad');
    expect(leftPad && prop(leftPad, 'portcullis:declaredOnly')).toBe('true');
    const lodash = byPurl(bom, 'pkg:npm/lodash@4.17.21')[0];
    expect(lodash && prop(lodash, 'portcullis:declaredOnly')).toBeUndefined();
    const go = bom.components.find((c) => c.name === 'github.com/sirupsen/logrus');
    expect(go && prop(go, 'portcullis:metadata:goVersion')).toBe('go1.21.5');
  });

  it.each([
    ['@babel/core (lower-case id)', 'core', [{ license: { id: 'MIT', acknowledgement: 'declared' } }]],
    [
      'a compound expression',
      'libgcc-s1',
      [{ expression: 'GPL-3.0-or-later WITH GCC-exception-3.1', acknowledgement: 'declared' }],
    ],
    [
      'an expression and an id, joined with AND',
      'serde',
      [{ expression: '(MIT OR Apache-2.0) AND BSD-3-Clause', acknowledgement: 'declared' }],
    ],
    [
      'an id and free text',
      'rack',
      [
        { license: { name: 'Ruby License (see COPYING)', acknowledgement: 'declared' } },
        { license: { id: 'MIT', acknowledgement: 'declared' } },
      ],
    ],
    ['free text', 'bash', [{ license: { name: 'GPLv3+', acknowledgement: 'declared' } }]],
  ])('writes licenses of %s', (_what, name, licenses) => {
    expect(bom.components.find((c) => c.name === name)?.licenses).toEqual(licenses);
  });

  it('writes no licenses for a package that declares none', () => {
    expect(bom.components.find((c) => c.name === 'libstdc++6')?.licenses).toBeUndefined();
  });

  it('keeps names with spaces, quotes and non-ASCII characters, percent-encoded in the purl', () => {
    const c = bom.components.find((x) => x.name === 'wéird-nàme "quoted"');
    expect(c?.purl).toBe('pkg:npm/w%C3%A9ird-n%C3%A0me%20%22quoted%22@1.0.0-beta+exp.sha.5114f85');
  });

  it('gives the same document whatever order the packages come in', () => {
    const shuffled = [...MIXED.packages].reverse();
    expect(bomOf(shuffled)).toEqual(bom);
  });

  it('rejects a serial number that is not a UUID URN', () => {
    let err: unknown;
    try {
      toCycloneDx({ ...base, serialNumber: 'not-a-uuid', inventory: MIXED });
    } catch (e) {
      err = e;
    }
    expect(isPortcullisError(err) && err.code).toBe('SBOM_OPTION_INVALID');
  });

  it('rejects an invalid timestamp', () => {
    expect(() => toCycloneDx({ ...base, timestamp: new Date('nope'), inventory: MIXED })).toThrow(
      /invalid timestamp/,
    );
  });

  it('makes a fresh random serial number when none is given', () => {
    const rest = { tool: base.tool, timestamp: base.timestamp, image: base.image };
    const a = toCycloneDx({ ...rest, inventory: MIXED }) as unknown as Bom;
    const b = toCycloneDx({ ...rest, inventory: MIXED }) as unknown as Bom;
    expect(a.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(a.serialNumber).not.toBe(b.serialNumber);
  });
});
