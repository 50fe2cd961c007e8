// Which ecosystem, name and version each kind of package is looked up under.
import { describe, expect, it } from 'vitest';
import type { OsInfo, Package, PackageType } from '../../inventory/index.js';
import { advisoryNameFor, ecosystemFor, schemeIdForEcosystem } from './ecosystem.js';

function os(family: string, version: string | undefined, extra: Partial<OsInfo> = {}): OsInfo {
  return {
    family,
    version,
    codename: undefined,
    prettyName: undefined,
    source: 'etc/os-release',
    distroless: false,
    ...extra,
  };
}

function pkg(type: PackageType, name: string, version: string, extra: Partial<Package> = {}): Package {
  return {
    type,
    name,
    version,
    purl: `pkg:${type}/${name}@${version}`,
    licenses: [],
    location: { path: 'x', layerIndex: 0, diffID: undefined, createdBy: undefined },
    ...extra,
  };
}

describe('ecosystemFor', () => {
  it.each([
    ['deb', os('debian', '12.5'), ['Debian:12']],
    ['deb', os('debian', undefined, { codename: 'bookworm' }), ['Debian:12']],
    ['deb', os('debian', undefined, { codename: 'sid' }), ['Debian:sid']],
    ['deb', os('ubuntu', '22.04'), ['Ubuntu:22.04', 'Ubuntu:22.04:LTS']],
    ['deb', os('linuxmint', '21'), []],
    ['deb', undefined, []],
    ['apk', os('alpine', '3.19.1'), ['Alpine:v3.19']],
    ['apk', os('alpine', '3.10.9'), ['Alpine:v3.10']],
    ['apk', os('wolfi', '20230201'), ['Wolfi']],
    ['rpm', os('rocky', '9.3'), ['Rocky Linux:9']],
    ['rpm', os('almalinux', '8.9'), ['AlmaLinux:8']],
    ['rpm', os('amzn', '2023'), ['Amazon Linux:2023']],
    ['rpm', os('mariner', '2.0'), ['Mariner:2.0', 'Azure Linux:2.0', 'Azure Linux:2']],
    ['rpm', os('azurelinux', '3.0'), ['Azure Linux:3.0', 'Azure Linux:3']],
    [
      'rpm',
      os('sles', '15.5', { prettyName: 'SUSE Linux Enterprise Server 15 SP5' }),
      ['SUSE:SUSE Linux Enterprise Server 15 SP5'],
    ],
    [
      'rpm',
      os('opensuse-leap', '15.5', { prettyName: 'openSUSE Leap 15.5' }),
      ['openSUSE:openSUSE Leap 15.5'],
    ],
    ['rpm', os('photon', '5.0'), ['Photon OS:5.0']],
    [
      'rpm',
      os('rhel', '9.3'),
      [
        'Red Hat:enterprise_linux:9::baseos',
        'Red Hat:enterprise_linux:9::appstream',
        'Red Hat:enterprise_linux:9::crb',
        'Red Hat:enterprise_linux:9',
      ],
    ],
    ['rpm', os('fedora', '39'), []],
    ['npm', undefined, ['npm']],
    ['pypi', os('debian', '12'), ['PyPI']],
    ['golang', undefined, ['Go']],
    ['maven', undefined, ['Maven']],
    ['cargo', undefined, ['crates.io']],
    ['gem', undefined, ['RubyGems']],
    ['composer', undefined, ['Packagist']],
    ['nuget', undefined, ['NuGet']],
  ] as const)('%s on %j → %j', (type, info, want) => {
    expect(ecosystemFor(pkg(type, 'x', '1'), info)).toEqual(want);
  });
});

describe('advisoryNameFor', () => {
  it('uses the Debian source package and its version, not the binary', () => {
    const gcc = pkg('deb', 'gcc', '4:12.2.0-3', { source: { name: 'gcc-defaults', version: '1.203' } });
    expect(advisoryNameFor(gcc)).toEqual({ names: ['gcc-defaults'], version: '1.203' });
    const libc = pkg('deb', 'libc6', '2.36-9+b1', { source: { name: 'glibc', version: '2.36-9' } });
    expect(advisoryNameFor(libc)).toEqual({ names: ['glibc'], version: '2.36-9' });
    expect(advisoryNameFor(pkg('deb', 'bash', '5.2.15-2+b2'))).toEqual({
      names: ['bash'],
      version: '5.2.15-2+b2',
    });
    expect(advisoryNameFor(pkg('deb', 'zlib1g', '1:1.2.13', { source: { name: 'zlib' } }))).toEqual({
      names: ['zlib'],
      version: '1:1.2.13',
    });
  });

  it('uses the apk origin with the package version', () => {
    const p = pkg('apk', 'libcrypto3', '3.1.4-r5', { source: { name: 'openssl', version: '3.1.4-r5' } });
    expect(advisoryNameFor(p)).toEqual({ names: ['openssl'], version: '3.1.4-r5' });
    expect(advisoryNameFor(pkg('apk', 'musl', '1.2.4-r2'))).toEqual({ names: ['musl'], version: '1.2.4-r2' });
  });

  it('uses the source rpm name then the binary name, with the binary EVR', () => {
    const p = pkg('rpm', 'openssl-libs', '1:3.0.7-24.el9', {
      source: { name: 'openssl', version: '3.0.7-24.el9' },
    });
    expect(advisoryNameFor(p)).toEqual({ names: ['openssl', 'openssl-libs'], version: '1:3.0.7-24.el9' });
  });

  it('joins language namespaces as each ecosystem writes names', () => {
    expect(advisoryNameFor(pkg('npm', 'core', '7.0.0', { namespace: '@babel' })).names).toEqual([
      '@babel/core',
    ]);
    expect(advisoryNameFor(pkg('npm', '@babel/core', '7.0.0')).names).toEqual(['@babel/core']);
    expect(advisoryNameFor(pkg('pypi', 'PyYAML', '6.0')).names).toEqual(['pyyaml']);
    expect(advisoryNameFor(pkg('pypi', 'zope.interface', '6.0')).names).toEqual(['zope-interface']);
    expect(
      advisoryNameFor(pkg('maven', 'log4j-core', '2.14.1', { namespace: 'org.apache.logging.log4j' })).names,
    ).toEqual(['org.apache.logging.log4j:log4j-core']);
    expect(advisoryNameFor(pkg('golang', 'golang.org/x/net', 'v0.15.0')).names).toEqual(['golang.org/x/net']);
    expect(advisoryNameFor(pkg('golang', 'stdlib', 'v1.21.3')).names).toEqual(['stdlib']);
    expect(advisoryNameFor(pkg('composer', 'http-client', '6.0.0', { namespace: 'symfony' })).names).toEqual([
      'symfony/http-client',
    ]);
    expect(advisoryNameFor(pkg('cargo', 'time', '0.1.0')).names).toEqual(['time']);
    expect(advisoryNameFor(pkg('gem', 'rack', '2.0.0')).names).toEqual(['rack']);
    expect(advisoryNameFor(pkg('nuget', 'Newtonsoft.Json', '12.0.1')).names).toEqual(['Newtonsoft.Json']);
  });
});

describe('schemeIdForEcosystem', () => {
  it.each([
    ['Debian:12', 'dpkg'],
    ['Ubuntu:22.04:LTS', 'dpkg'],
    ['Alpine:v3.19', 'apk'],
    ['Red Hat:enterprise_linux:9::baseos', 'rpm'],
    ['Rocky Linux:9', 'rpm'],
    ['AlmaLinux:8', 'rpm'],
    ['SUSE:SUSE Linux Enterprise Server 15 SP5', 'rpm'],
    ['Azure Linux:3.0', 'rpm'],
    ['Amazon Linux:2', 'rpm'],
    ['PyPI', 'pep440'],
    ['Go', 'go'],
    ['npm', 'semver'],
    ['crates.io', 'crates'],
    ['Maven', 'maven'],
    ['RubyGems', 'rubygems'],
    ['Packagist', 'composer'],
    ['NuGet', 'nuget'],
    ['Hackage', undefined],
    ['constructor', undefined],
  ] as const)('%s → %s', (ecosystem, want) => {
    expect(schemeIdForEcosystem(ecosystem)).toBe(want);
  });
});
