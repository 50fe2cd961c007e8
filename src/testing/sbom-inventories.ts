// Hand-built inventories for the SBOM tests: one package of every ecosystem shape the writers
// must handle (OS packages with source packages and epochs, scoped and namespaced names,
// licenses as ids, expressions and free text, declared-only packages, the same purl at two
// paths, names with characters that need encoding). Purls come from the inventory's own toPurl,
// as the analyzers make them.
import { digestOf } from '../core/index.js';
import {
  toPurl,
  type Inventory,
  type OsInfo,
  type Package,
  type PackageLocation,
} from '../inventory/index.js';
import type { ImageSubject } from '../sbom/index.js';

const layer0 = digestOf('sbom test layer 0');
const layer1 = digestOf('sbom test layer 1');
const manifest = digestOf('sbom test manifest');
const config = digestOf('sbom test config');

export const DEBIAN: OsInfo = {
  family: 'debian',
  version: '12',
  codename: 'bookworm',
  prettyName: 'Debian GNU/Linux 12 (bookworm)',
  source: 'etc/os-release',
  distroless: false,
};

/** A registry image with two layers, on linux/amd64. */
export const IMAGE: ImageSubject = {
  reference: `registry.example:5000/team/app-server:1.0@${manifest}`,
  name: 'app-server',
  repositoryUrl: 'registry.example:5000/team/app-server',
  tag: '1.0',
  digest: manifest,
  indexDigest: digestOf('sbom test index'),
  configDigest: config,
  platform: 'linux/amd64',
  architecture: 'amd64',
  layers: [
    {
      index: 0,
      diffID: layer0,
      digest: digestOf('sbom test blob 0'),
      createdBy: '/bin/sh -c #(nop) ADD file:abc in /',
    },
    {
      index: 1,
      diffID: layer1,
      digest: digestOf('sbom test blob 1'),
      createdBy: 'RUN npm ci && pip install -r requirements.txt',
    },
  ],
};

function at(path: string, layerIndex: 0 | 1): PackageLocation {
  return {
    path,
    layerIndex,
    diffID: layerIndex === 0 ? layer0 : layer1,
    createdBy: IMAGE.layers[layerIndex]?.createdBy,
  };
}

type Draft = Omit<Package, 'purl'>;

function withPurl(d: Draft, os?: OsInfo): Package {
  return { ...d, purl: toPurl(d, os) };
}

const drafts: Draft[] = [
  {
    type: 'deb',
    name: 'libssl3',
    version: '3.0.11-1~deb12u2',
    arch: 'amd64',
    source: { name: 'openssl', version: '3.0.11-1~deb12u2' },
    licenses: ['Apache-2.0', 'Artistic', 'GPL-1+'],
    location: at('var/lib/dpkg/status', 0),
  },
  {
    type: 'deb',
    name: 'libgcc-s1',
    version: '1:12.2.0-14',
    arch: 'amd64',
    source: { name: 'gcc-12', version: '12.2.0-14' },
    licenses: ['GPL-3.0-or-later WITH GCC-exception-3.1'],
    location: at('var/lib/dpkg/status', 0),
  },
  {
    type: 'deb',
    name: 'libstdc++6',
    version: '12.2.0-14',
    arch: 'amd64',
    source: { name: 'gcc-12' },
    licenses: [],
    location: at('var/lib/dpkg/status', 0),
  },
  {
    type: 'apk',
    name: 'musl',
    version: '1.2.4-r2',
    arch: 'x86_64',
    source: { name: 'musl' },
    licenses: ['MIT'],
    location: at('lib/apk/db/installed', 0),
  },
  {
    type: 'rpm',
    name: 'openssl-libs',
    version: '1:1.0.2k-16.el7',
    arch: 'x86_64',
    source: { name: 'openssl', version: '1.0.2k-16.el7' },
    licenses: ['OpenSSL'],
    location: at('var/lib/rpm/Packages', 0),
    metadata: { epoch: '1', release: '16.el7' },
  },
  {
    type: 'rpm',
    name: 'bash',
    version: '4.2.46-31.el7',
    arch: 'x86_64',
    licenses: ['GPLv3+'],
    location: at('var/lib/rpm/Packages', 0),
  },
  {
    type: 'npm',
    namespace: '@babel',
    name: 'core',
    version: '7.23.2',
    licenses: ['mit'],
    location: at('app/node_modules/@babel/core/package.json', 1),
  },
  {
    type: 'npm',
    name: 'lodash',
    version: '4.17.21',
    licenses: ['MIT'],
    location: at('app/node_modules/lodash/package.json', 1),
  },
  {
    // The same package installed twice: two components, told apart by path.
    type: 'npm',
    name: 'lodash',
    version: '4.17.21',
    licenses: ['MIT'],
    location: at('app/node_modules/legacy/node_modules/lodash/package.json', 1),
  },
  {
    type: 'npm',
    name: 'left-pad',
    version: '1.3.0',
    licenses: ['WTFPL'],
    location: at('app/package-lock.json', 1),
    declaredOnly: true,
  },
  {
    type: 'pypi',
    name: 'PyYAML',
    version: '6.0.1',
    licenses: ['MIT'],
    location: at('usr/lib/python3/dist-packages/PyYAML-6.0.1.dist-info/METADATA', 1),
  },
  {
    type: 'pypi',
    name: 'zope.interface',
    version: '6.1',
    licenses: ['ZPL 2.1'],
    location: at('usr/lib/python3/dist-packages/zope.interface-6.1.dist-info/METADATA', 1),
  },
  {
    type: 'golang',
    namespace: 'github.com/sirupsen',
    name: 'logrus',
    version: 'v1.9.3',
    licenses: [],
    location: at('usr/local/bin/app', 1),
    metadata: { goVersion: 'go1.21.5' },
  },
  {
    type: 'maven',
    namespace: 'org.apache.commons',
    name: 'commons-lang3',
    version: '3.14.0',
    licenses: ['Apache-2.0'],
    location: at('opt/app/lib/commons-lang3-3.14.0.jar', 1),
  },
  {
    type: 'cargo',
    name: 'serde',
    version: '1.0.193',
    licenses: ['MIT OR Apache-2.0', 'BSD-3-Clause'],
    location: at('app/Cargo.lock', 1),
    declaredOnly: true,
  },
  {
    type: 'gem',
    name: 'rack',
    version: '3.0.8',
    licenses: ['MIT', 'Ruby License (see COPYING)'],
    location: at('usr/local/bundle/specifications/rack-3.0.8.gemspec', 1),
  },
  {
    type: 'composer',
    namespace: 'symfony',
    name: 'console',
    version: 'v6.4.1',
    licenses: ['MIT'],
    location: at('app/vendor/composer/installed.json', 1),
  },
  {
    type: 'nuget',
    name: 'Newtonsoft.Json',
    version: '13.0.3',
    licenses: ['MIT'],
    location: at('app/app.deps.json', 1),
  },
  {
    // Characters that need percent-encoding in a purl and escaping in JSON.
    type: 'npm',
    name: 'wéird-nàme "quoted"',
    version: '1.0.0-beta+exp.sha.5114f85',
    licenses: ['SEE LICENSE IN <LICENSE.md>'],
    location: at('app/node_modules/wéird-nàme/package.json', 1),
  },
];

/** Every package shape, on Debian 12. */
export const MIXED: Inventory = {
  os: DEBIAN,
  packages: drafts.map((d) => withPurl(d, d.type === 'deb' ? DEBIAN : undefined)),
  gaps: [],
  warnings: [],
};

/** A small case for the golden files: two Debian packages and one npm package. */
export const SMALL: Inventory = {
  os: DEBIAN,
  packages: [drafts[0], drafts[1], drafts[6]]
    .filter((d): d is Draft => d !== undefined)
    .map((d) => withPurl(d, d.type === 'deb' ? DEBIAN : undefined)),
  gaps: [],
  warnings: [],
};

/** No OS, no packages. */
export const EMPTY: Inventory = { os: undefined, packages: [], gaps: [], warnings: [] };
