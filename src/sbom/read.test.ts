import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isPortcullisError } from '../core/index.js';
import type { Package } from '../inventory/index.js';
import { sharedData } from '../testing/fixtures.js';
import { toCycloneDx } from './cyclonedx.js';
import { classifyLicense } from './license.js';
import { qualifiedName } from './order.js';
import { ociPurl } from './purl.js';
import { readSbom } from './read.js';
import { toSpdx } from './spdx.js';
import { DEBIAN, IMAGE, MIXED } from '../testing/sbom-inventories.js';
import type { ReadSbomOptions, ReadSbomResult } from './types.js';

function example(rel: string): ReadSbomResult {
  return readSbom(readFileSync(sharedData('sbom-examples', rel)), rel);
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return isPortcullisError(err) ? err.code : `not a PortcullisError: ${String(err)}`;
  }
  return undefined;
}

function readJson(doc: unknown, options?: ReadSbomOptions): ReadSbomResult {
  return readSbom(Buffer.from(JSON.stringify(doc)), 'test.json', options);
}

function purls(r: ReadSbomResult): string[] {
  return r.inventory.packages.map((p) => p.purl);
}

describe('readSbom on published SBOMs (shared/data/sbom-examples)', () => {
  it.each<[file: string, version: string, count: number, purl: string]>([
    // CycloneDX's own examples
    ['cyclonedx-bom-examples/SBOM/juice-shop/v11.1.2/bom.json', '1.2', 840, 'pkg:npm/body-parser@1.19.0'],
    [
      'cyclonedx-bom-examples/SBOM/dropwizard-1.3.15/bom.json',
      '1.2',
      167,
      'pkg:maven/com.google.guava/guava@24.1.1-jre?type=jar',
    ],
    ['cyclonedx-bom-examples/SBOM/laravel-7.12.0/bom.1.4.json', '1.4', 62, 'pkg:composer/brick/math@0.9.3'],
    [
      'cyclonedx-bom-examples/SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json',
      '1.2',
      201,
      'pkg:golang/github.com/0xAX/notificator@v0.0.0-20191016112426-3962a5ea8da1',
    ],
    [
      'cyclonedx-bom-examples/SBOM/cern-lhc-vdm-editor-e564943/bom.json',
      '1.2',
      43,
      'pkg:npm/puppeteer@1.19.0',
    ],
    // Syft's format goldens, every CycloneDX JSON version it writes
    ...['1.2', '1.3', '1.4', '1.5', '1.6', '1.7'].map(
      (v) =>
        [
          `syft-format-goldens/cyclonedxjson/testdata/identify/${v}.json`,
          v,
          1,
          'pkg:golang/github.com/wagoodman/go-partybus@v0.0.0-20230516145632-8ccac152c651',
        ] as [string, string, number, string],
    ),
    [
      'trivy-sbom-fixtures/centos-7-cyclonedx.json',
      '1.5',
      2,
      'pkg:rpm/centos/bash@4.2.46-31.el7?arch=x86_64&distro=centos-7.6.1810',
    ],
  ])('%s: CycloneDX %s, %i packages, including %s', (file, version, count, purl) => {
    const r = example(file);
    expect(r.format).toBe('cyclonedx');
    expect(r.specVersion).toBe(version);
    expect(r.inventory.packages).toHaveLength(count);
    expect(r.inventory.gaps).toEqual([]);
    expect(purls(r)).toContain(purl);
  });

  it.each([
    ['syft-format-goldens/spdxjson/testdata/identify/2.2.json', '2.2'],
    ['syft-format-goldens/spdxjson/testdata/identify/2.3.json', '2.3'],
  ])('%s: SPDX %s, the described go.mod is the subject and its module the package', (file, version) => {
    const r = example(file);
    expect(r).toMatchObject({ format: 'spdx', specVersion: version });
    expect(purls(r)).toEqual([
      'pkg:golang/github.com/wagoodman/go-partybus@v0.0.0-20230516145632-8ccac152c651',
    ]);
    expect(r.inventory.packages[0]).toMatchObject({
      type: 'golang',
      namespace: 'github.com/wagoodman',
      name: 'go-partybus',
      version: 'v0.0.0-20230516145632-8ccac152c651',
    });
    expect(r.subject).toMatchObject({
      name: 'go.mod',
      digest: 'sha256:dc333f342905248a52e424d8dfd061251d01867d01a4f9d7397144a775ff9ebd',
    });
  });

  it('reads licenses as ids, several ids, and drops none', () => {
    const r = example('cyclonedx-bom-examples/SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json');
    const bbloom = r.inventory.packages.find((p) => p.name === 'bbloom');
    expect(bbloom?.licenses).toEqual(['CC0-1.0', 'MIT']);
    expect(r.subject).toMatchObject({ name: 'github.com/ProtonMail/proton-bridge', kind: 'application' });
  });

  it("reads Trivy's CycloneDX image SBOM: OS, rpm epochs, source packages, layer diffIDs", () => {
    const r = example('trivy-sbom-fixtures/centos-7-cyclonedx.json');
    expect(r.inventory.os).toMatchObject({ family: 'centos', version: '7.6.1810' });
    expect(r.subject).toMatchObject({
      kind: 'container',
      name: 'integration/testdata/fixtures/images/centos-7.tar.gz',
    });
    const ssl = r.inventory.packages.find((p) => p.name === 'openssl-libs');
    expect(ssl).toMatchObject({
      type: 'rpm',
      version: '1:1.0.2k-16.el7',
      arch: 'x86_64',
      source: { name: 'openssl', version: '1:1.0.2k-16.el7' },
      licenses: ['OpenSSL+'],
      location: {
        path: 'trivy-sbom-fixtures/centos-7-cyclonedx.json',
        layerIndex: -1,
        diffID: 'sha256:89169d87dbe2b72ba42bfbb3579c957322baca28e03a1e558076542a1c1b2b4a',
      },
    });
    expect(ssl?.namespace).toBeUndefined();
  });

  it("reads Trivy's SPDX 2.2 image SBOM the same way", () => {
    const r = example('trivy-sbom-fixtures/centos-7-spdx.json');
    expect(r).toMatchObject({ format: 'spdx', specVersion: '2.2' });
    expect(r.inventory.os).toMatchObject({ family: 'centos', version: '7.6.1810' });
    expect(r.subject?.name).toBe('integration/testdata/fixtures/images/centos-7.tar.gz');
    expect(r.inventory.packages.map((p) => `${p.name} ${p.version} ${p.licenses.join()}`).sort()).toEqual([
      'bash 4.2.46-31.el7 GPLv3+',
      'openssl-libs 1:1.0.2k-16.el7 OpenSSL',
    ]);
    expect(r.inventory.gaps).toEqual([]);
  });

  it("unwraps Trivy's in-toto attestation (DSSE envelope, JSON Lines) to the CycloneDX inside", () => {
    const r = example('trivy-sbom-fixtures/centos-7-cyclonedx.intoto.jsonl');
    expect(r).toMatchObject({ format: 'cyclonedx', specVersion: '1.4' });
    expect(purls(r).sort()).toEqual([
      'pkg:rpm/centos/bash@4.2.46-31.el7?arch=x86_64&distro=centos-7.6.1810',
      'pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&epoch=1&distro=centos-7.6.1810',
    ]);
  });

  it("keeps the KBOM's k8s and oci components apart with a warning, and reports components without purl as gaps", () => {
    const r = example('trivy-sbom-fixtures/minikube-kbom.json');
    expect(r.inventory.os).toMatchObject({ family: 'ubuntu', version: '22.04.2' });
    expect(purls(r)).toEqual(['pkg:golang/docker@24.0.4']);
    expect(r.otherPackages).toHaveLength(11);
    expect(r.otherPackages).toContainEqual({
      purlType: 'k8s',
      namespace: undefined,
      name: 'k8s.io/apiserver',
      version: '1.27.0',
      purl: 'pkg:k8s/k8s.io%2Fapiserver@1.27.0',
      licenses: [],
    });
    expect(r.inventory.warnings).toEqual([
      '5 components of purl type "k8s" kept as other packages: the inventory does not model that type',
      '6 components of purl type "oci" kept as other packages: the inventory does not model that type',
    ]);
    expect(r.inventory.gaps).toHaveLength(4);
    expect(r.inventory.gaps.map((g) => g.reason)).toContain(
      'component "go.etcd.io/etcd/v3" has no purl: it cannot be matched to advisories',
    );
    for (const g of r.inventory.gaps)
      expect(g).toMatchObject({ analyzer: 'sbom', path: 'trivy-sbom-fixtures/minikube-kbom.json' });
  });

  it("reads Syft's image encodings: its layer and path properties, a gap for a purl that is not one", () => {
    for (const file of [
      'syft-format-goldens/cyclonedxjson/testdata/snapshot/TestCycloneDxImageEncoder.golden',
      'syft-format-goldens/spdxjson/testdata/snapshot/TestSPDXJSONImageEncoder.golden',
    ]) {
      const r = example(file);
      expect(purls(r)).toEqual(['pkg:deb/debian/package-2@2.0.1']);
      expect(r.inventory.gaps).toEqual([
        expect.objectContaining({
          reason: expect.stringContaining('has an invalid purl "a-purl-1"') as unknown,
        }),
      ]);
    }
    const cdx = example(
      'syft-format-goldens/cyclonedxjson/testdata/snapshot/TestCycloneDxImageEncoder.golden',
    );
    expect(cdx.inventory.packages[0]?.location.path).toBe('somefile-2.txt');
    expect(cdx.inventory.os).toMatchObject({ family: 'debian', version: '1.2.3' });
    const spdx = example('syft-format-goldens/spdxjson/testdata/snapshot/TestSPDXJSONImageEncoder.golden');
    expect(spdx.subject).toMatchObject({
      name: 'user-image-input',
      kind: 'container',
      digest: 'sha256:2731251dc34951c0e50fcc643b4c5f74922dad1a5d98f302b504cf46cd5d9368',
    });
  });

  it('reports a component without purl (Syft micronaut) as a gap, not a package', () => {
    const r = example('syft-format-goldens/cyclonedxjson/testdata/identify/micronaut-1.6.json');
    expect(r.inventory.packages).toEqual([]);
    expect(r.inventory.gaps).toEqual([
      {
        analyzer: 'sbom',
        path: 'syft-format-goldens/cyclonedxjson/testdata/identify/micronaut-1.6.json',
        reason: 'component "netty-codec-http2" has no purl: it cannot be matched to advisories',
      },
    ]);
  });

  it.each([
    ['syft-format-goldens/cyclonedxxml/testdata/identify/1.6.xml', 'SBOM_NOT_JSON'],
    ['syft-format-goldens/spdxtagvalue/testdata/identify/2.3.sbom', 'SBOM_NOT_JSON'],
    ['syft-format-goldens/syftjson/testdata/identify/11.0.0.json', 'SBOM_FORMAT_UNKNOWN'],
    ['syft-format-goldens/github/testdata/snapshot/TestGithubImageEncoder.golden', 'SBOM_FORMAT_UNKNOWN'],
    ['syft-format-goldens/spdxjson/testdata/identify/3.0.json', 'SBOM_VERSION_UNSUPPORTED'],
  ])('refuses %s with %s', (file, code) => {
    expect(codeOf(() => example(file))).toBe(code);
  });
});

/** What a package must keep through write-then-read, licenses in canonical form. */
function essence(p: Package): string {
  const licenses = p.licenses
    .map((l) => {
      const f = classifyLicense(l);
      return f === undefined ? '' : f.kind === 'id' ? f.id : f.kind === 'expression' ? f.expression : f.name;
    })
    .sort();
  return JSON.stringify([
    p.type,
    qualifiedName(p),
    p.version,
    p.purl,
    p.arch,
    p.source,
    licenses,
    p.location,
    p.declaredOnly === true,
    p.metadata,
  ]);
}

describe('readSbom on our own SBOMs', () => {
  const input = {
    image: IMAGE,
    inventory: MIXED,
    tool: { name: 'portcullis', version: '0.1.0' },
    timestamp: new Date('2024-05-06T07:08:09Z'),
    serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
  };
  const expected = MIXED.packages.map(essence).sort();

  it.each([
    ['CycloneDX', () => toCycloneDx(input), 'cyclonedx', '1.6'],
    ['SPDX', () => toSpdx(input), 'spdx', '2.3'],
  ])('gives back the same packages, OS and image from %s', (_name, write, format, specVersion) => {
    const r = readJson(write());
    expect(r).toMatchObject({ format, specVersion });
    expect(r.inventory.packages.map(essence).sort()).toEqual(expected);
    expect(r.inventory.os).toEqual(DEBIAN);
    expect(r.inventory.gaps).toEqual([]);
    expect(r.inventory.warnings).toEqual([]);
    expect(r.otherPackages).toEqual([]);
    expect(r.subject).toMatchObject({ purl: ociPurl(IMAGE), digest: IMAGE.digest, kind: 'container' });
  });

  it('keeps the PyPI name as the package spells it, not the purl-normalized one', () => {
    const r = readJson(toSpdx(input));
    expect(r.inventory.packages.find((p) => p.type === 'pypi' && p.version === '6.0.1')?.name).toBe('PyYAML');
  });
});

describe('readSbom on hostile or broken input', () => {
  const bom = (components: unknown[]): unknown => ({
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    components,
  });
  const lib = (name: string, purl?: string, version?: string): unknown => ({
    type: 'library',
    name,
    ...(version === undefined ? {} : { version }),
    ...(purl === undefined ? {} : { purl }),
  });

  it('refuses a document larger than the limit before parsing it', () => {
    expect(codeOf(() => readSbom(Buffer.alloc(2048, 0x20), 'big.json', { maxBytes: 1024 }))).toBe(
      'SBOM_TOO_LARGE',
    );
  });

  it('refuses more components than the limit, nested ones included', () => {
    const nested = {
      ...(lib('a', 'pkg:npm/a@1') as object),
      components: [lib('b', 'pkg:npm/b@1'), lib('c', 'pkg:npm/c@1')],
    };
    expect(readJson(bom([nested]), { maxPackages: 3 }).inventory.packages).toHaveLength(3);
    expect(codeOf(() => readJson(bom([nested]), { maxPackages: 2 }))).toBe('SBOM_TOO_MANY_PACKAGES');
  });

  it('walks components nested thousands deep without recursion', () => {
    // Built as text: JSON.stringify itself recurses and would not get this deep.
    const depth = 20_000;
    const open = Array.from(
      { length: depth },
      (_, i) => `{"type":"library","name":"n${i}","purl":"pkg:npm/n${i}@1.0.0","components":[`,
    );
    const text = `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${open.join('')}{"type":"library","name":"leaf","purl":"pkg:npm/leaf@1.0.0"}${']}'.repeat(depth)}]}`;
    const r = readSbom(Buffer.from(text), 'deep.json');
    expect(r.inventory.packages).toHaveLength(depth + 1);
    expect(r.inventory.packages[0]?.name).toBe('n0');
    expect(r.inventory.packages[depth]?.name).toBe('leaf');
  });

  it.each([
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'SBOM_NOT_JSON'],
    ['text that is not JSON', Buffer.from('bomFormat: CycloneDX'), 'SBOM_NOT_JSON'],
    ['a JSON array', Buffer.from('[]'), 'SBOM_FORMAT_UNKNOWN'],
    [
      'components that are not a list',
      Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.6","components":{}}'),
      'SBOM_INVALID',
    ],
    [
      'CycloneDX 1.1 (XML only)',
      Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.1"}'),
      'SBOM_VERSION_UNSUPPORTED',
    ],
    [
      'SPDX 2.1',
      Buffer.from('{"spdxVersion":"SPDX-2.1","SPDXID":"SPDXRef-DOCUMENT"}'),
      'SBOM_VERSION_UNSUPPORTED',
    ],
    [
      'an attestation of something else',
      Buffer.from(
        JSON.stringify({
          _type: 'https://in-toto.io/Statement/v1',
          predicateType: 'https://slsa.dev/provenance/v1',
          predicate: {},
        }),
      ),
      'SBOM_FORMAT_UNKNOWN',
    ],
  ])('refuses %s with a coded error', (_what, bytes, code) => {
    expect(codeOf(() => readSbom(bytes, 'x.json'))).toBe(code);
  });

  it('reads a document that starts with a UTF-8 byte order mark', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify(bom([lib('a', 'pkg:npm/a@1.0.0')]))),
    ]);
    expect(purls(readSbom(bytes, 'bom.json'))).toEqual(['pkg:npm/a@1.0.0']);
  });

  it('turns a malformed component into a gap and still reads the others', () => {
    const r = readJson(bom([{ type: 'library', name: 42 }, lib('ok', 'pkg:npm/ok@1.0.0')]));
    expect(purls(r)).toEqual(['pkg:npm/ok@1.0.0']);
    expect(r.inventory.gaps.map((g) => g.reason)).toEqual([
      expect.stringMatching(/^components\[0\] is not a valid component: name: /),
    ]);
  });

  it('takes the version from the component when the purl has none, and makes a gap when neither has one', () => {
    const r = readJson(bom([lib('a', 'pkg:npm/a', '2.0.0'), lib('b', 'pkg:npm/b')]));
    expect(r.inventory.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['a@2.0.0']);
    expect(r.inventory.gaps[0]?.reason).toBe(
      'component "b" (pkg:npm/b) has no version: it cannot be matched to advisories',
    );
  });

  it('ignores malformed license entries with a warning', () => {
    const c = {
      ...(lib('a', 'pkg:npm/a@1') as object),
      licenses: [{ license: { id: 'MIT' } }, { license: 7 }, 'x'],
    };
    const r = readJson(bom([c]));
    expect(r.inventory.packages[0]?.licenses).toEqual(['MIT']);
    expect(r.inventory.warnings).toEqual(['2 malformed license entries ignored']);
  });

  it('names the offending component in a gap without echoing unbounded input', () => {
    const long = 'x'.repeat(5000);
    const r = readJson(bom([lib(long)]));
    expect(r.inventory.gaps[0]?.reason.length).toBeLessThan(300);
  });

  it('keeps the first OS and warns when a document lists two different ones', () => {
    const os = (name: string, version: string): unknown => ({ type: 'operating-system', name, version });
    const r = readJson(bom([os('Alpine', '3.19.1'), os('debian', '12')]));
    expect(r.inventory.os).toMatchObject({
      family: 'alpine',
      version: '3.19.1',
      source: 'test.json',
      distroless: false,
    });
    expect(r.inventory.warnings).toEqual([expect.stringContaining('more than one operating system')]);
  });
});
