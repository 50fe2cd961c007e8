import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openImageSource } from '../../oci/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { imageOfFiles } from '../../testing/inventory-trees.js';
import { buildInventory } from '../inventory.js';
import {
  classifyPythonPath,
  parseCoreMetadata,
  parseRequirements,
  pythonAnalyzer,
  pythonPackageFromMetadata,
  type PythonFileKind,
} from './python.js';

const fixture = (...parts: string[]): string =>
  readFileSync(sharedData('pkgdb-fixtures', 'python', ...parts), 'utf8');

// Trivy's packaging parser fixtures and osv-scalibr's wheelegg fixtures (see pkgdb-fixtures/SOURCES.md).
// Licenses follow our order: License-Expression, else License classifiers, else the License field
// (UNKNOWN means none). Trivy's test differs where it keeps "UNKNOWN" (setuptools 51, unidecode)
// and where it makes "file://LICENSE.txt" of networkx's License-File; we report what the
// metadata names as a license, or nothing.
const FIXTURES: readonly {
  file: string[];
  name: string;
  version: string;
  licenses: string[];
  purl: string;
}[] = [
  {
    file: ['trivy', 'asyncssh-2.14.2.METADATA'],
    name: 'asyncssh',
    version: '2.14.2',
    // "License :: OSI Approved" names no license, so the License field is used.
    licenses: ['Eclipse Public License v2.0'],
    purl: 'pkg:pypi/asyncssh@2.14.2',
  },
  {
    file: ['trivy', 'distlib-0.3.1-py3.9.egg-info'],
    name: 'distlib',
    version: '0.3.1',
    // A metadata 1.1 Description with a blank line ends the headers there, for Python's own
    // email parser as here: the classifiers after it are body, so the License field is used.
    licenses: ['Python license'],
    purl: 'pkg:pypi/distlib@0.3.1',
  },
  {
    file: ['trivy', 'distlib-0.3.1.METADATA'],
    name: 'distlib',
    version: '0.3.1',
    licenses: ['Python Software Foundation License'],
    purl: 'pkg:pypi/distlib@0.3.1',
  },
  {
    file: ['trivy', 'iniconfig-2.0.0.METADATA'],
    name: 'iniconfig',
    version: '2.0.0',
    licenses: ['MIT'],
    purl: 'pkg:pypi/iniconfig@2.0.0',
  },
  {
    file: ['trivy', 'networkx-3.0.METADATA'],
    name: 'networkx',
    version: '3.0',
    licenses: [],
    purl: 'pkg:pypi/networkx@3.0',
  },
  {
    file: ['trivy', 'pyphen-0.14.0.METADATA'],
    name: 'pyphen',
    version: '0.14.0',
    licenses: [
      'GNU General Public License v2 or later (GPLv2+)',
      'GNU Lesser General Public License v2 or later (LGPLv2+)',
      'Mozilla Public License 1.1 (MPL 1.1)',
    ],
    purl: 'pkg:pypi/pyphen@0.14.0',
  },
  {
    file: ['trivy', 'setuptools-51.3.3-py3.8.egg-info.PKG-INFO'],
    name: 'setuptools',
    version: '51.3.3',
    // Headers end at the blank line in its Description (see distlib); License is UNKNOWN.
    licenses: [],
    purl: 'pkg:pypi/setuptools@51.3.3',
  },
  // "Name: simple " carries a trailing space.
  {
    file: ['trivy', 'simple-0.1.0.METADATA'],
    name: 'simple',
    version: '0.1.0',
    licenses: [],
    purl: 'pkg:pypi/simple@0.1.0',
  },
  // Its long description holds bytes that are not valid header text; the headers still read.
  {
    file: ['trivy', 'unidecode-egg-info.PKG-INFO'],
    name: 'Unidecode',
    version: '0.4.1',
    licenses: [],
    purl: 'pkg:pypi/unidecode@0.4.1',
  },
  {
    file: ['trivy', 'zipp-3.12.1.METADATA'],
    name: 'zipp',
    version: '3.12.1',
    licenses: ['MIT License'],
    purl: 'pkg:pypi/zipp@3.12.1',
  },
  {
    file: ['scalibr', 'distinfo_meta'],
    name: 'pip',
    version: '22.2.2',
    licenses: ['MIT License'],
    purl: 'pkg:pypi/pip@22.2.2',
  },
  {
    file: ['scalibr', 'egginfo_pkginfo'],
    name: 'setuptools',
    version: '57.4.0',
    licenses: ['MIT License'],
    purl: 'pkg:pypi/setuptools@57.4.0',
  },
  {
    file: ['scalibr', 'pkginfo'],
    name: 'httplib2',
    version: '0.20.4',
    licenses: ['MIT License'],
    purl: 'pkg:pypi/httplib2@0.20.4',
  },
  {
    file: ['scalibr', 'pyopenssl-26.0.0.dist-info'],
    name: 'pyOpenSSL',
    version: '26.0.0',
    licenses: ['Apache Software License'],
    purl: 'pkg:pypi/pyopenssl@26.0.0',
  },
];

describe('pythonPackageFromMetadata', () => {
  it.each(FIXTURES.map((f) => [f.file.join('/'), f] as const))('reads %s', (_file, f) => {
    expect(pythonPackageFromMetadata(fixture(...f.file))).toEqual({
      name: f.name,
      version: f.version,
      licenses: f.licenses,
    });
  });

  it.each([
    ['no Name header', 'Metadata-Version: 2.1\nVersion: 1.0\n', 'no "Name:" header in the core metadata'],
    ['no Version header', 'Metadata-Version: 2.1\nName: x\n', 'no "Version:" header for x'],
    ['a name with spaces', 'Name: two words\nVersion: 1\n', 'invalid distribution name "two words"'],
    ['headers only after the body', '\nName: x\nVersion: 1\n', 'no "Name:" header in the core metadata'],
    ['binary garbage', '\u0000\u0001\u0002', 'no "Name:" header in the core metadata'],
  ])('says why metadata with %s names no distribution', (_name, text, reason) => {
    expect(pythonPackageFromMetadata(text)).toBe(reason);
  });

  it('folds continuation lines and stops at the first blank line', () => {
    const headers = parseCoreMetadata(
      'Name: x\r\nLicense: BSD\n        Copyright 2020\nVersion: 2\n\nName: body\n',
    );
    expect(headers.get('name')).toEqual(['x']);
    expect(headers.get('license')).toEqual(['BSD\nCopyright 2020']);
    expect(
      pythonPackageFromMetadata('Name: x\nVersion: 2\nLicense: BSD\n        Copyright 2020\n'),
    ).toMatchObject({
      licenses: ['BSD'],
    });
  });
});

describe('parseRequirements', () => {
  it('keeps exact pins only, as written', () => {
    const text = [
      '# comment',
      'click==8.0.0',
      'Flask == 2.0.0  # web',
      'requests[socks]==2.31.0 ; python_version >= "3.8"',
      'MarkupSafe>2.0.0',
      'django>=4,<5',
      'numpy==1.*',
      'six===1.16.0',
      'cryptography==41.0.0 \\',
      '    --hash=sha256:0123456789abcdef',
      '-r other.txt',
      '-e git+https://github.com/x/y.git#egg=y',
      'https://example.invalid/pkg.whl',
      'click==8.0.0',
    ].join('\n');
    expect(parseRequirements(text).map((p) => [p.name, p.version])).toEqual([
      ['click', '8.0.0'],
      ['Flask', '2.0.0'],
      ['requests', '2.31.0'],
      ['six', '1.16.0'],
      ['cryptography', '41.0.0'],
    ]);
  });
});

describe('classifyPythonPath', () => {
  const cases: [string, PythonFileKind | undefined][] = [
    ['usr/lib/python3.11/site-packages/zipp-3.12.1.dist-info/METADATA', 'metadata'],
    ['usr/lib/python3/dist-packages/distlib-0.3.1.egg-info', 'metadata'],
    ['usr/lib/python3/dist-packages/setuptools-51.3.3.egg-info/PKG-INFO', 'metadata'],
    ['opt/venv/lib/python3.9/site-packages/x-1.0-py3.9.egg/EGG-INFO/PKG-INFO', 'metadata'],
    ['usr/lib/python3.11/site-packages/zipp-3.12.1.dist-info/RECORD', undefined],
    ['app/requirements.txt', 'requirements'],
    ['usr/lib/python3/dist-packages/foo/requirements.txt', undefined],
    ['app/requirements-dev.txt', undefined],
  ];
  it.each(cases)('classifies %s as %s', (p, kind) => {
    expect(classifyPythonPath(p)).toBe(kind);
  });
});

describe('pythonAnalyzer', () => {
  it('reports the 14 fixtures placed at the paths pip, setuptools and Debian install them to', async () => {
    const site = 'usr/lib/python3.11/site-packages';
    const files: Record<string, string | { dir: true }> = {};
    for (const f of FIXTURES) {
      const [dir, file] = f.file;
      const text = fixture(...f.file);
      const tag = `${dir}-${f.name}-${f.version}`;
      if (file?.endsWith('egg-info')) files[`usr/lib/python3/dist-packages/${tag}.egg-info`] = text;
      else if (file?.includes('PKG-INFO') || file === 'pkginfo' || file === 'egginfo_pkginfo')
        files[`${site}/${tag}.egg-info/PKG-INFO`] = text;
      else files[`${site}/${tag}.dist-info/METADATA`] = text;
    }
    const inv = await buildInventory(await imageOfFiles(files), { analyzers: [pythonAnalyzer] });
    expect(inv.gaps).toEqual([]);
    expect(inv.packages).toHaveLength(14);
    const byPurl = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    expect(inv.packages.map((p) => p.purl).sort(byPurl)).toEqual(FIXTURES.map((f) => f.purl).sort(byPurl));
    expect(inv.packages.every((p) => p.type === 'pypi' && p.declaredOnly === undefined)).toBe(true);
    expect(inv.packages.find((p) => p.name === 'pyOpenSSL')?.location.path).toBe(
      `${site}/scalibr-pyOpenSSL-26.0.0.dist-info/METADATA`,
    );
  });

  it('reports requirements.txt pins as declared only, except what is installed', async () => {
    const inv = await buildInventory(
      await imageOfFiles({
        'usr/lib/python3.11/site-packages/zipp-3.12.1.dist-info/METADATA': fixture(
          'trivy',
          'zipp-3.12.1.METADATA',
        ),
        'app/requirements.txt': 'Zipp==3.12.1\nflask==2.0.0\n',
      }),
      { analyzers: [pythonAnalyzer] },
    );
    expect(inv.packages.map((p) => [p.name, p.version, p.location.path, p.declaredOnly === true])).toEqual([
      ['flask', '2.0.0', 'app/requirements.txt', true],
      ['zipp', '3.12.1', 'usr/lib/python3.11/site-packages/zipp-3.12.1.dist-info/METADATA', false],
    ]);
  });

  it('makes unreadable metadata a gap and skips egg-info directories silently', async () => {
    const inv = await buildInventory(
      await imageOfFiles({
        'site-packages/broken-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\nVersion: 1.0\n',
        'site-packages/huge-1.0.dist-info/METADATA': `Name: huge\nVersion: 1.0\n\n${'x'.repeat(5 * 1024 * 1024)}`,
        'site-packages/dir-1.0.egg-info': { dir: true },
        'site-packages/dir-1.0.egg-info/PKG-INFO': 'Name: dir\nVersion: 1.0\n',
      }),
      { analyzers: [pythonAnalyzer] },
    );
    expect(inv.packages.map((p) => p.name)).toEqual(['dir']);
    expect(inv.gaps.map((g) => [g.path, g.reason])).toEqual([
      ['site-packages/broken-1.0.dist-info/METADATA', 'no "Name:" header in the core metadata'],
      [
        'site-packages/huge-1.0.dist-info/METADATA',
        expect.stringMatching(/more than the 4194304-byte cap for METADATA$/),
      ],
    ]);
  });

  // The oracle is Python's own importlib.metadata (Debian's /usr/bin/python3) over the
  // distributions Debian installed on this machine.
  it("finds every distribution importlib.metadata finds in Debian's /usr/lib/python3/dist-packages", async () => {
    const dist = '/usr/lib/python3/dist-packages';
    const script = [
      'import importlib.metadata as m, json, os',
      `print(json.dumps(sorted([os.path.relpath(str(d._path), ${JSON.stringify(dist)}), d.metadata["Name"], d.version] for d in m.distributions(path=[${JSON.stringify(dist)}]))))`,
    ].join('\n');
    const expected = (
      JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' })) as string[][]
    ).map(([where, name, version]) => [where, name, version]);
    const source = await openImageSource(`rootfs:${dist}`);
    const inv = await buildInventory(await source.open(), { analyzers: [pythonAnalyzer] });
    await source.close();
    const found = inv.packages
      .map((p) => [p.location.path.replace(/\/(METADATA|PKG-INFO)$/, ''), p.name, p.version])
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    expect(expected.length).toBeGreaterThan(0);
    expect(found).toEqual(expected);
    expect(inv.gaps).toEqual([]);
  });
});
