import { describe, expect, it } from 'vitest';
import { treeOfFiles, type TreeFiles } from '../../testing/inventory-trees.js';
import type { OsInfo } from '../types.js';
import { detectOs, osWants } from './detect.js';

const DEBIAN_12 = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`;
const UBUNTU_2204 = `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=jammy
`;
const ALPINE_319 = `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
`;

type Expected = Omit<OsInfo, 'codename' | 'prettyName'> & { codename?: string; prettyName?: string };

function info(e: Expected): OsInfo {
  return { codename: undefined, prettyName: undefined, ...e };
}

describe('detectOs', () => {
  const cases: { name: string; layers: TreeFiles[]; want: OsInfo | undefined }[] = [
    {
      name: 'reads etc/os-release through its symlink to usr/lib/os-release (Debian 12)',
      layers: [{ 'usr/lib/os-release': DEBIAN_12, 'etc/os-release': { symlink: '../usr/lib/os-release' } }],
      want: info({
        family: 'debian',
        version: '12',
        codename: 'bookworm',
        prettyName: 'Debian GNU/Linux 12 (bookworm)',
        source: 'etc/os-release',
        distroless: false,
      }),
    },
    {
      name: 'falls back to usr/lib/os-release when etc/os-release is missing',
      layers: [{ 'usr/lib/os-release': UBUNTU_2204, 'etc/lsb-release': 'DISTRIB_ID=Other\n' }],
      want: info({
        family: 'ubuntu',
        version: '22.04',
        codename: 'jammy',
        prettyName: 'Ubuntu 22.04.4 LTS',
        source: 'usr/lib/os-release',
        distroless: false,
      }),
    },
    {
      name: 'prefers etc/os-release over usr/lib/os-release',
      layers: [{ 'usr/lib/os-release': UBUNTU_2204, 'etc/os-release': ALPINE_319 }],
      want: info({
        family: 'alpine',
        version: '3.19.1',
        prettyName: 'Alpine Linux v3.19',
        source: 'etc/os-release',
        distroless: false,
      }),
    },
    {
      name: 'lower-cases the ID and ignores an os-release without ID',
      layers: [{ 'etc/os-release': 'NAME=x\n', 'usr/lib/os-release': 'ID=Fedora\nVERSION_ID=39\n' }],
      want: info({ family: 'fedora', version: '39', source: 'usr/lib/os-release', distroless: false }),
    },
    {
      name: 'Debian testing: a codename and no VERSION_ID',
      layers: [
        {
          'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nID=debian\nVERSION_CODENAME=trixie\n',
        },
      ],
      want: info({
        family: 'debian',
        version: undefined,
        codename: 'trixie',
        prettyName: 'Debian GNU/Linux trixie/sid',
        source: 'etc/os-release',
        distroless: false,
      }),
    },
    {
      name: 'an os-release deleted by a later layer is not used',
      layers: [
        { 'etc/os-release': UBUNTU_2204, 'etc/alpine-release': '3.10.2\n' },
        { 'etc/.wh.os-release': '' },
      ],
      want: info({ family: 'alpine', version: '3.10.2', source: 'etc/alpine-release', distroless: false }),
    },
    {
      name: 'lsb-release without os-release',
      layers: [
        {
          'etc/lsb-release':
            'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=18.04\nDISTRIB_CODENAME=bionic\nDISTRIB_DESCRIPTION="Ubuntu 18.04.6 LTS"\n',
          'etc/debian_version': 'buster/sid\n',
        },
      ],
      want: info({
        family: 'ubuntu',
        version: '18.04',
        codename: 'bionic',
        prettyName: 'Ubuntu 18.04.6 LTS',
        source: 'etc/lsb-release',
        distroless: false,
      }),
    },
    {
      name: 'alpine-release without os-release',
      layers: [{ 'etc/alpine-release': '3.9.4\n' }],
      want: info({ family: 'alpine', version: '3.9.4', source: 'etc/alpine-release', distroless: false }),
    },
    {
      name: 'centos-release (CentOS 7)',
      layers: [
        {
          'etc/centos-release': 'CentOS Linux release 7.9.2009 (Core)\n',
          'etc/redhat-release': { symlink: 'centos-release' },
        },
      ],
      want: info({
        family: 'centos',
        version: '7.9.2009',
        codename: 'Core',
        prettyName: 'CentOS Linux release 7.9.2009 (Core)',
        source: 'etc/centos-release',
        distroless: false,
      }),
    },
    {
      name: 'CentOS 6 release line',
      layers: [{ 'etc/centos-release': 'CentOS release 6.10 (Final)\n' }],
      want: info({
        family: 'centos',
        version: '6.10',
        codename: 'Final',
        prettyName: 'CentOS release 6.10 (Final)',
        source: 'etc/centos-release',
        distroless: false,
      }),
    },
    {
      name: 'redhat-release (RHEL 8)',
      layers: [{ 'etc/redhat-release': 'Red Hat Enterprise Linux release 8.9 (Ootpa)\n' }],
      want: info({
        family: 'rhel',
        version: '8.9',
        codename: 'Ootpa',
        prettyName: 'Red Hat Enterprise Linux release 8.9 (Ootpa)',
        source: 'etc/redhat-release',
        distroless: false,
      }),
    },
    {
      name: 'fedora-release',
      layers: [{ 'etc/fedora-release': 'Fedora release 35 (Thirty Five)\n' }],
      want: info({
        family: 'fedora',
        version: '35',
        codename: 'Thirty Five',
        prettyName: 'Fedora release 35 (Thirty Five)',
        source: 'etc/fedora-release',
        distroless: false,
      }),
    },
    {
      name: 'Oracle Linux: oracle-release wins over its redhat-release naming RHEL',
      layers: [
        {
          'etc/oracle-release': 'Oracle Linux Server release 7.9\n',
          'etc/redhat-release': 'Red Hat Enterprise Linux Server release 7.9 (Maipo)\n',
        },
      ],
      want: info({
        family: 'ol',
        version: '7.9',
        prettyName: 'Oracle Linux Server release 7.9',
        source: 'etc/oracle-release',
        distroless: false,
      }),
    },
    {
      name: 'system-release (Amazon Linux AMI)',
      layers: [{ 'etc/system-release': 'Amazon Linux AMI release 2018.03\n' }],
      want: info({
        family: 'amzn',
        version: '2018.03',
        prettyName: 'Amazon Linux AMI release 2018.03',
        source: 'etc/system-release',
        distroless: false,
      }),
    },
    {
      name: 'an unknown release name is not guessed at',
      layers: [{ 'etc/system-release': 'Frobnix release 1.0\n' }],
      want: undefined,
    },
    {
      name: 'debian_version 12.5 alone: Debian, codename from the major release',
      layers: [{ 'etc/debian_version': '12.5\n' }],
      want: info({
        family: 'debian',
        version: '12.5',
        codename: 'bookworm',
        source: 'etc/debian_version',
        distroless: false,
      }),
    },
    {
      name: 'debian_version bookworm/sid: codename, no version',
      layers: [{ 'etc/debian_version': 'bookworm/sid\n' }],
      want: info({
        family: 'debian',
        version: undefined,
        codename: 'bookworm',
        source: 'etc/debian_version',
        distroless: false,
      }),
    },
    {
      name: 'distroless: dpkg status.d and debian_version, no os-release',
      layers: [
        { 'etc/debian_version': '12.5\n', 'var/lib/dpkg/status.d/base-files': 'Package: base-files\n' },
      ],
      want: info({
        family: 'debian',
        version: '12.5',
        codename: 'bookworm',
        source: 'etc/debian_version',
        distroless: true,
      }),
    },
    {
      name: 'distroless without debian_version: Debian of unknown release',
      layers: [{ 'var/lib/dpkg/status.d/tzdata': 'Package: tzdata\n' }],
      want: info({ family: 'debian', version: undefined, source: 'var/lib/dpkg/status.d', distroless: true }),
    },
    {
      name: 'a distroless image that ships os-release is identified by it',
      layers: [{ 'etc/os-release': DEBIAN_12, 'var/lib/dpkg/status.d/tzdata': 'Package: tzdata\n' }],
      want: info({
        family: 'debian',
        version: '12',
        codename: 'bookworm',
        prettyName: 'Debian GNU/Linux 12 (bookworm)',
        source: 'etc/os-release',
        distroless: false,
      }),
    },
    { name: 'nothing to go on', layers: [{ 'bin/app': 'ELF' }], want: undefined },
  ];

  it.each(cases)('$name', async ({ layers, want }) => {
    expect(detectOs(await treeOfFiles(...layers))).toEqual(want);
  });
});

describe('osWants', () => {
  it.each([
    ['etc/os-release', true],
    ['usr/lib/os-release', true],
    ['etc/alpine-release', true],
    ['etc/debian_version', true],
    ['etc/redhat-release', true],
    ['etc/lsb-release', true],
    ['etc/passwd', false],
    ['var/lib/dpkg/status', false],
  ])('%s → %s', (path, wanted) => {
    expect(osWants(path)).toBe(wanted);
  });
});
