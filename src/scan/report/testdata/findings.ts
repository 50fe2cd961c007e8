// Hand-built findings for the report and gate tests: a Debian image with OS packages in the base
// layer and an npm package added by a later layer. Digests are SHA-256 of fixed strings.
import { digestOf } from '../../../core/index.js';
import type { OsInfo, Package } from '../../../inventory/index.js';
import type { ImageSubject } from '../../../sbom/index.js';
import type { Finding, ScanResult } from '../../types.js';

const layer0 = digestOf('scan report layer 0');
const layer1 = digestOf('scan report layer 1');
export const MANIFEST = digestOf('scan report manifest');

export const DEBIAN: OsInfo = {
  family: 'debian',
  version: '12',
  codename: 'bookworm',
  prettyName: 'Debian GNU/Linux 12 (bookworm)',
  source: 'etc/os-release',
  distroless: false,
};

export const IMAGE: ImageSubject = {
  reference: `registry.example/team/app:1.0@${MANIFEST}`,
  name: 'app',
  repositoryUrl: 'registry.example/team/app',
  tag: '1.0',
  digest: MANIFEST,
  indexDigest: undefined,
  configDigest: digestOf('scan report config'),
  platform: 'linux/amd64',
  architecture: 'amd64',
  layers: [
    {
      index: 0,
      diffID: layer0,
      digest: digestOf('blob 0'),
      createdBy: '/bin/sh -c #(nop) ADD file:abc in /',
    },
    { index: 1, diffID: layer1, digest: digestOf('blob 1'), createdBy: 'RUN npm ci' },
  ],
};

export const TARGET = { name: 'registry.example/team/app:1.0', digest: MANIFEST, reference: IMAGE.reference };

export const LIBSSL: Package = {
  type: 'deb',
  name: 'libssl3',
  version: '3.0.11-1~deb12u2',
  purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12',
  arch: 'amd64',
  source: { name: 'openssl', version: '3.0.11-1~deb12u2' },
  licenses: ['Apache-2.0'],
  location: {
    path: 'var/lib/dpkg/status',
    layerIndex: 0,
    diffID: layer0,
    createdBy: IMAGE.layers[0]?.createdBy,
  },
};

export const ZLIB: Package = {
  type: 'deb',
  name: 'zlib1g',
  version: '1:1.2.13.dfsg-1',
  purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12',
  arch: 'amd64',
  source: { name: 'zlib', version: '1:1.2.13.dfsg-1' },
  licenses: ['Zlib'],
  location: {
    path: 'var/lib/dpkg/status',
    layerIndex: 0,
    diffID: layer0,
    createdBy: IMAGE.layers[0]?.createdBy,
  },
};

export const LODASH: Package = {
  type: 'npm',
  name: 'lodash',
  version: '4.17.20',
  purl: 'pkg:npm/lodash@4.17.20',
  licenses: ['MIT'],
  location: {
    path: 'app/node_modules/lodash/package.json',
    layerIndex: 1,
    diffID: layer1,
    createdBy: 'RUN npm ci',
  },
};

/** A finding with every field set; override what a case needs. */
export function finding(over: Partial<Finding> = {}): Finding {
  return {
    id: 'CVE-2024-0001',
    aliases: ['DSA-5001-1'],
    package: LIBSSL,
    installedVersion: LIBSSL.version,
    fixedVersion: '3.0.13-1~deb12u1',
    status: 'fixed',
    rawStatus: 'fixed',
    severity: 'high',
    severitySource: 'cvss_v3',
    cvssScore: 7.5,
    cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
    title: 'openssl: denial of service in X.509 parsing',
    description: 'A crafted certificate makes the parser loop.',
    references: ['https://security-tracker.debian.org/tracker/CVE-2024-0001'],
    ecosystem: 'Debian:12',
    recordIds: ['DEBIAN-CVE-2024-0001'],
    published: '2024-01-10T00:00:00Z',
    modified: '2024-02-01T12:00:00Z',
    ...over,
  };
}

/** Four findings over three packages: high (fixed), critical (fixed), unfixed medium, low npm. */
export const FINDINGS: readonly Finding[] = [
  finding(),
  finding({
    id: 'CVE-2024-0002',
    aliases: [],
    severity: 'critical',
    cvssScore: 9.8,
    cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    title: 'openssl: buffer overflow',
  }),
  finding({
    id: 'CVE-2023-9999',
    aliases: [],
    package: ZLIB,
    installedVersion: ZLIB.version,
    fixedVersion: undefined,
    status: 'affected',
    rawStatus: 'open',
    severity: 'medium',
    severitySource: 'distro',
    cvssScore: undefined,
    cvssVector: undefined,
    title: undefined,
    description: undefined,
    references: [],
    published: undefined,
    modified: undefined,
  }),
  finding({
    id: 'CVE-2021-23337',
    aliases: ['GHSA-35jh-r3h4-6jhm'],
    package: LODASH,
    installedVersion: LODASH.version,
    fixedVersion: '4.17.21',
    severity: 'low',
    severitySource: 'record',
    cvssScore: undefined,
    cvssVector: undefined,
    title: 'Command Injection in lodash',
    description: 'template() runs code passed in its options.',
    references: ['https://github.com/advisories/GHSA-35jh-r3h4-6jhm'],
    ecosystem: 'npm',
    recordIds: ['GHSA-35jh-r3h4-6jhm'],
  }),
];

export const RESULT: ScanResult = {
  inventory: { os: DEBIAN, packages: [LIBSSL, ZLIB, LODASH], gaps: [], warnings: [] },
  findings: FINDINGS,
  warnings: [],
};
