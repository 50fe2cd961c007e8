import { PackageURL } from 'packageurl-js';
import { describe, expect, it } from 'vitest';
import { InventoryError } from './errors.js';
import { normalizePythonName, toPurl, type PurlInput } from './purl.js';
import type { OsInfo } from './types.js';

function os(family: string, version: string | undefined, codename?: string): OsInfo {
  return { family, version, codename, prettyName: undefined, source: 'etc/os-release', distroless: false };
}

describe('toPurl', () => {
  // Expected values are the purl spec's PURL-TYPES examples where one fits, otherwise the form
  // the spec's type rules give for our OS qualifiers.
  const cases: { name: string; pkg: PurlInput; os?: OsInfo; purl: string }[] = [
    {
      name: 'deb: namespace and distro from Debian 12, epoch kept in the version',
      pkg: { type: 'deb', name: 'libattr1', version: '1:2.5.1-4', arch: 'amd64' },
      os: os('debian', '12', 'bookworm'),
      purl: 'pkg:deb/debian/libattr1@1:2.5.1-4?arch=amd64&distro=debian-12',
    },
    {
      name: 'deb: a Debian point release is the major release',
      pkg: { type: 'deb', name: 'bash', version: '5.2.15-2+b2', arch: 'amd64' },
      os: os('debian', '12.5'),
      purl: 'pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64&distro=debian-12',
    },
    {
      name: 'deb: Ubuntu keeps its two-part release',
      pkg: { type: 'deb', name: 'dpkg', version: '1.19.0.4', arch: 'amd64' },
      os: os('ubuntu', '22.04', 'jammy'),
      purl: 'pkg:deb/ubuntu/dpkg@1.19.0.4?arch=amd64&distro=ubuntu-22.04',
    },
    {
      name: 'deb: a release without a number (testing/sid) is named by its codename',
      pkg: { type: 'deb', name: 'curl', version: '7.50.3-1', arch: 'i386' },
      os: os('debian', undefined, 'trixie'),
      purl: 'pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=debian-trixie',
    },
    {
      name: 'deb: without an OS the namespace defaults to debian and there is no distro',
      pkg: { type: 'deb', name: 'curl', version: '7.50.3-1' },
      purl: 'pkg:deb/debian/curl@7.50.3-1',
    },
    {
      name: 'apk: the distro qualifier is the bare Alpine release',
      pkg: { type: 'apk', name: 'musl', version: '1.1.22-r3', arch: 'x86_64' },
      os: os('alpine', '3.10.2'),
      purl: 'pkg:apk/alpine/musl@1.1.22-r3?arch=x86_64&distro=3.10.2',
    },
    {
      name: 'apk: spec example without OS',
      pkg: { type: 'apk', name: 'curl', version: '7.83.0-r0', arch: 'x86' },
      purl: 'pkg:apk/alpine/curl@7.83.0-r0?arch=x86',
    },
    {
      name: 'rpm: spec example (Fedora)',
      pkg: { type: 'rpm', name: 'curl', version: '7.50.3-1.fc25', arch: 'i386' },
      os: os('fedora', '25'),
      purl: 'pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25',
    },
    {
      name: 'rpm: the epoch leaves the version for the epoch qualifier; RHEL is vendor redhat',
      pkg: { type: 'rpm', name: 'openssl-libs', version: '1:1.1.1k-9.el8_7', arch: 'x86_64' },
      os: os('rhel', '8.7'),
      purl: 'pkg:rpm/redhat/openssl-libs@1.1.1k-9.el8_7?arch=x86_64&distro=rhel-8.7&epoch=1',
    },
    {
      name: 'rpm: epoch from metadata, Amazon Linux is vendor amazon',
      pkg: {
        type: 'rpm',
        name: 'curl',
        version: '8.3.0-1.amzn2023',
        arch: 'x86_64',
        metadata: { epoch: '2' },
      },
      os: os('amzn', '2023'),
      purl: 'pkg:rpm/amazon/curl@8.3.0-1.amzn2023?arch=x86_64&distro=amzn-2023&epoch=2',
    },
    {
      name: 'rpm: epoch 0 is the same as none and is left out',
      pkg: { type: 'rpm', name: 'bash', version: '0:5.1.8-6.el9', arch: 'x86_64' },
      os: os('rocky', '9.3'),
      purl: 'pkg:rpm/rocky/bash@5.1.8-6.el9?arch=x86_64&distro=rocky-9.3',
    },
    {
      name: 'rpm: openSUSE Leap and CBL-Mariner vendors',
      pkg: { type: 'rpm', name: 'zlib', version: '1.2.13-1.cm2', arch: 'x86_64' },
      os: os('mariner', '2.0'),
      purl: 'pkg:rpm/mariner/zlib@1.2.13-1.cm2?arch=x86_64&distro=mariner-2.0',
    },
    {
      name: 'rpm: openSUSE Leap is vendor opensuse',
      pkg: { type: 'rpm', name: 'libz1', version: '1.2.11-3.24.1', arch: 'x86_64' },
      os: os('opensuse-leap', '15.1'),
      purl: 'pkg:rpm/opensuse/libz1@1.2.11-3.24.1?arch=x86_64&distro=opensuse-leap-15.1',
    },
    {
      name: 'npm: spec example without scope',
      pkg: { type: 'npm', name: 'foobar', version: '12.3.1' },
      purl: 'pkg:npm/foobar@12.3.1',
    },
    {
      name: 'npm: the scope is the namespace, its @ percent-encoded',
      pkg: { type: 'npm', namespace: '@angular', name: 'animation', version: '12.3.1' },
      purl: 'pkg:npm/%40angular/animation@12.3.1',
    },
    {
      name: 'npm: a scoped name given whole is split into scope and name',
      pkg: { type: 'npm', name: '@babel/core', version: '7.23.0' },
      purl: 'pkg:npm/%40babel/core@7.23.0',
    },
    {
      name: 'pypi: names are PEP 503 normalized',
      pkg: { type: 'pypi', name: 'Django_Allauth', version: '12.23' },
      purl: 'pkg:pypi/django-allauth@12.23',
    },
    {
      name: 'pypi: runs of dots, dashes and underscores become one dash',
      pkg: { type: 'pypi', name: 'zope.interface', version: '6.0' },
      purl: 'pkg:pypi/zope-interface@6.0',
    },
    {
      name: 'golang: the module path before its last element is the namespace',
      pkg: { type: 'golang', name: 'github.com/gorilla/context', version: '234fd47e07d1004f0aed9c' },
      purl: 'pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c',
    },
    {
      name: 'golang: case is kept (module paths are case-sensitive); packageurl-js leaves + unencoded',
      pkg: { type: 'golang', name: 'github.com/Azure/go-autorest', version: 'v14.2.0+incompatible' },
      purl: 'pkg:golang/github.com/Azure/go-autorest@v14.2.0+incompatible',
    },
    {
      name: 'maven: groupId namespace, artifactId name',
      pkg: { type: 'maven', namespace: 'org.apache.xmlgraphics', name: 'batik-anim', version: '1.9.1' },
      purl: 'pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1',
    },
    {
      name: 'maven: a group:artifact name is split',
      pkg: { type: 'maven', name: 'org.apache.commons:commons-lang3', version: '3.12.0' },
      purl: 'pkg:maven/org.apache.commons/commons-lang3@3.12.0',
    },
    {
      name: 'cargo: spec example',
      pkg: { type: 'cargo', name: 'rand', version: '0.7.2' },
      purl: 'pkg:cargo/rand@0.7.2',
    },
    {
      name: 'gem: spec example',
      pkg: { type: 'gem', name: 'ruby-advisory-db-check', version: '0.12.4' },
      purl: 'pkg:gem/ruby-advisory-db-check@0.12.4',
    },
    {
      name: 'composer: vendor and name, lower-cased',
      pkg: { type: 'composer', name: 'Laravel/Laravel', version: '5.5.0' },
      purl: 'pkg:composer/laravel/laravel@5.5.0',
    },
    {
      name: 'nuget: spec example keeps the name as published',
      pkg: { type: 'nuget', name: 'EnterpriseLibrary.Common', version: '6.0.1304' },
      purl: 'pkg:nuget/EnterpriseLibrary.Common@6.0.1304',
    },
    {
      name: 'an empty version is left out',
      pkg: { type: 'cargo', name: 'rand', version: '' },
      purl: 'pkg:cargo/rand',
    },
  ];

  it.each(cases)('$name', ({ pkg, os, purl }) => {
    expect(toPurl(pkg, os)).toBe(purl);
  });

  it.each(cases)('$name: parses back to the same canonical string', ({ pkg, os }) => {
    const purl = toPurl(pkg, os);
    expect(PackageURL.fromString(purl).toString()).toBe(purl);
  });

  it('rejects an empty name with PURL_INVALID naming the type', () => {
    const err = (() => {
      try {
        toPurl({ type: 'npm', name: '', version: '1.0.0' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InventoryError);
    expect(err).toMatchObject({ code: 'PURL_INVALID' });
    expect((err as Error).message).toContain('npm purl');
  });
});

describe('normalizePythonName', () => {
  it.each([
    ['Friendly-Bard', 'friendly-bard'],
    ['FRIENDLY-BARD', 'friendly-bard'],
    ['friendly.bard', 'friendly-bard'],
    ['friendly_bard', 'friendly-bard'],
    ['friendly--bard', 'friendly-bard'],
    ['FrIeNdLy-._.-bArD', 'friendly-bard'],
  ])('%s normalizes to %s (PEP 503 examples)', (input, expected) => {
    expect(normalizePythonName(input)).toBe(expected);
  });
});
