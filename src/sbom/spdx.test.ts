import { describe, expect, it } from 'vitest';
import { isPortcullisError } from '../core/index.js';
import { toSpdx } from './spdx.js';
import { IMAGE, MIXED } from '../testing/sbom-inventories.js';

type SpdxPackage = {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  licenseDeclared?: string;
  checksums?: { algorithm: string; checksumValue: string }[];
  externalRefs?: { referenceCategory: string; referenceType: string; referenceLocator: string }[];
  primaryPackagePurpose?: string;
  sourceInfo?: string;
  annotations?: { annotator: string; comment: string; annotationDate: string }[];
};
type Doc = {
  spdxVersion: string;
  dataLicense: string;
  SPDXID: string;
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
  hasExtractedLicensingInfos?: { licenseId: string; name: string; extractedText: string }[];
};

const base = {
  tool: { name: 'portcullis', version: '0.1.0' },
  timestamp: new Date('2024-05-06T07:08:09.5Z'),
  serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
  image: IMAGE,
  inventory: MIXED,
};

const doc = toSpdx(base) as unknown as Doc;

function pkg(name: string): SpdxPackage | undefined {
  return doc.packages.find((p) => p.name === name);
}

describe('toSpdx', () => {
  it('writes the SPDX 2.3 document creation information (clause 6)', () => {
    expect(doc).toMatchObject({
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: IMAGE.reference,
      documentNamespace: 'https://spdx.org/spdxdocs/app-server-3e671687-395b-41f5-a30f-a58921a69b79',
      creationInfo: { created: '2024-05-06T07:08:09Z', creators: ['Tool: portcullis-0.1.0'] },
    });
  });

  it('describes the image package, a CONTAINER with its manifest digest as checksum and oci purl', () => {
    const image = doc.packages[0];
    expect(image).toMatchObject({
      SPDXID: 'SPDXRef-Image-app-server',
      name: 'registry.example:5000/team/app-server',
      versionInfo: IMAGE.digest,
      primaryPackagePurpose: 'CONTAINER',
      checksums: [{ algorithm: 'SHA256', checksumValue: (IMAGE.digest ?? '').slice(7) }],
    });
    expect(image?.externalRefs?.[0]?.referenceLocator).toMatch(
      /^pkg:oci\/app-server@sha256%3A[0-9a-f]{64}\?arch=amd64&/,
    );
    expect(doc.relationships[0]).toEqual({
      spdxElementId: 'SPDXRef-DOCUMENT',
      relationshipType: 'DESCRIBES',
      relatedSpdxElement: 'SPDXRef-Image-app-server',
    });
  });

  it('has the image CONTAIN the OS and every package', () => {
    const contained = doc.relationships
      .filter((r) => r.relationshipType === 'CONTAINS')
      .map((r) => {
        expect(r.spdxElementId).toBe('SPDXRef-Image-app-server');
        return r.relatedSpdxElement;
      });
    expect(contained).toEqual(doc.packages.slice(1).map((p) => p.SPDXID));
    expect(pkg('debian')).toMatchObject({ versionInfo: '12', primaryPackagePurpose: 'OPERATING_SYSTEM' });
    expect(doc.packages).toHaveLength(MIXED.packages.length + 2);
  });

  it('refers to each package by its purl as a PACKAGE-MANAGER external reference (clause F.3)', () => {
    expect(pkg('@babel/core')?.externalRefs).toEqual([
      {
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: 'pkg:npm/%40babel/core@7.23.2',
      },
    ]);
    expect(pkg('org.apache.commons:commons-lang3')?.versionInfo).toBe('3.14.0');
  });

  it('declares licenses as one expression, free text as LicenseRefs with their text extracted (clause 10)', () => {
    expect(pkg('serde')?.licenseDeclared).toBe('(MIT OR Apache-2.0) AND BSD-3-Clause');
    expect(pkg('@babel/core')?.licenseDeclared).toBe('MIT');
    expect(pkg('libstdc++6')?.licenseDeclared).toBe('NOASSERTION');
    const ssl = pkg('libssl3')?.licenseDeclared ?? '';
    expect(ssl).toMatch(/^Apache-2\.0 AND LicenseRef-Artistic AND LicenseRef-GPL-1-[0-9a-f]{8}$/);
    const refs = new Map(doc.hasExtractedLicensingInfos?.map((e) => [e.licenseId, e.extractedText]));
    expect(refs.get('LicenseRef-Artistic')).toBe('Artistic');
    for (const ref of ssl.split(' AND ').filter((r) => r.startsWith('LicenseRef-')))
      expect(refs.has(ref)).toBe(true);
  });

  it('says where each package was found in sourceInfo, and carries the location as an annotation', () => {
    expect(pkg('left-pad')?.sourceInfo).toMatch(
      /^declared in app\/package-lock\.json \(layer 1 sha256:[0-9a-f]{64}, created by: RUN npm ci/,
    );
    expect(pkg('left-pad')?.sourceInfo).toMatch(/; not installed$/);
    expect(pkg('libssl3')?.sourceInfo).toMatch(/; source package: openssl 3\.0\.11-1~deb12u2$/);
    const note = pkg('libssl3')?.annotations?.[0];
    expect(note?.annotator).toBe('Tool: portcullis-0.1.0');
    expect(JSON.parse(note?.comment ?? '{}')).toMatchObject({
      'portcullis:location:path': 'var/lib/dpkg/status',
      'portcullis:source:name': 'openssl',
    });
  });

  it('derives each SPDXID from the purl and location, so the same input gives the same ids', () => {
    const again = toSpdx({ ...base, inventory: { ...MIXED, packages: [...MIXED.packages].reverse() } });
    expect(again).toEqual(doc);
    expect(pkg('@babel/core')?.SPDXID).toMatch(/^SPDXRef-Package-npm-babel-core-[0-9a-f]{16}$/);
  });

  it('takes a whole document namespace when given, and refuses one with a fragment', () => {
    const ns = 'https://example.com/sboms/app-1';
    expect((toSpdx({ ...base, documentNamespace: ns }) as unknown as Doc).documentNamespace).toBe(ns);
    let err: unknown;
    try {
      toSpdx({ ...base, documentNamespace: 'https://example.com/x#frag' });
    } catch (e) {
      err = e;
    }
    expect(isPortcullisError(err) && err.code).toBe('SBOM_OPTION_INVALID');
    expect(() => toSpdx({ ...base, documentNamespace: 'not a uri' })).toThrow(/document namespace/);
  });
});
