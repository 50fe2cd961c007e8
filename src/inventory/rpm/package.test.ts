import { describe, expect, it } from 'vitest';
import { RpmError } from './errors.js';
import { parseRpmHeader, RpmTag } from './header.js';
import { formatRpmEvr, parseSourceRpm, readRpmPackageInfo } from './package.js';

// Region-less headers (rpm's older layout, still valid) written byte by byte: enough to put any
// combination of tags in front of readRpmPackageInfo.
type Tagged = readonly [
  tag: number,
  value: string | readonly string[] | { int32: readonly number[] } | { int16: readonly number[] },
];

function header(...tags: readonly Tagged[]): Buffer {
  const index: Buffer[] = [];
  const data: Buffer[] = [];
  let size = 0;
  for (const [tag, value] of tags) {
    let type: number;
    let count: number;
    let bytes: Buffer;
    let align = 1;
    if (typeof value === 'string') {
      [type, count, bytes] = [6, 1, Buffer.from(`${value}\0`)];
    } else if ('int32' in value) {
      [type, count, align] = [4, value.int32.length, 4];
      bytes = Buffer.alloc(4 * count);
      value.int32.forEach((n, i) => bytes.writeUInt32BE(n, 4 * i));
    } else if ('int16' in value) {
      [type, count, align] = [3, value.int16.length, 2];
      bytes = Buffer.alloc(2 * count);
      value.int16.forEach((n, i) => bytes.writeUInt16BE(n, 2 * i));
    } else {
      [type, count, bytes] = [8, value.length, Buffer.from(value.map((s) => `${s}\0`).join(''))];
    }
    const pad = (align - (size % align)) % align;
    data.push(Buffer.alloc(pad), bytes);
    size += pad;
    const e = Buffer.alloc(16);
    e.writeUInt32BE(tag, 0);
    e.writeUInt32BE(type, 4);
    e.writeUInt32BE(size, 8);
    e.writeUInt32BE(count, 12);
    index.push(e);
    size += bytes.length;
  }
  const intro = Buffer.alloc(8);
  intro.writeUInt32BE(index.length, 0);
  intro.writeUInt32BE(size, 4);
  return Buffer.concat([intro, ...index, ...data]);
}

const NVR: readonly Tagged[] = [
  [RpmTag.NAME, 'openssl-libs'],
  [RpmTag.VERSION, '3.0.7'],
  [RpmTag.RELEASE, '27.el9'],
];

function info(...tags: readonly Tagged[]) {
  return readRpmPackageInfo(parseRpmHeader(header(...tags)));
}

describe('readRpmPackageInfo', () => {
  it('reads name, epoch, version, release, arch, source rpm, license, vendor and modularity label', () => {
    expect(
      info(
        ...NVR,
        [RpmTag.EPOCH, { int32: [1] }],
        [RpmTag.VENDOR, 'Red Hat, Inc.'],
        [RpmTag.LICENSE, 'Apache-2.0'],
        [RpmTag.ARCH, 'x86_64'],
        [RpmTag.SOURCERPM, 'openssl-3.0.7-27.el9.src.rpm'],
        [RpmTag.MODULARITYLABEL, 'nodejs:18:9020020230413:rhel9'],
      ),
    ).toEqual({
      name: 'openssl-libs',
      epoch: 1,
      version: '3.0.7',
      release: '27.el9',
      arch: 'x86_64',
      sourceRpm: 'openssl-3.0.7-27.el9.src.rpm',
      license: 'Apache-2.0',
      vendor: 'Red Hat, Inc.',
      modularityLabel: 'nodejs:18:9020020230413:rhel9',
      files: [],
    });
  });

  it('leaves out what a pseudo-package such as gpg-pubkey does not have', () => {
    const gpg = info([RpmTag.NAME, 'gpg-pubkey'], [RpmTag.VERSION, 'fd431d51'], [RpmTag.RELEASE, '4ae0493b']);
    expect([gpg.epoch, gpg.arch, gpg.sourceRpm, gpg.license, gpg.vendor]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('joins compressed file names (DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]) and leaves out directories by FILEMODES', () => {
    const files = info(
      ...NVR,
      [RpmTag.FILEMODES, { int16: [0o40755, 0o100755, 0o120777] }],
      [RpmTag.DIRINDEXES, { int32: [0, 1, 0] }],
      [RpmTag.BASENAMES, ['ssl', 'libssl.so.3', 'libssl.so']],
      [RpmTag.DIRNAMES, ['/etc/', '/usr/lib64/']],
    ).files;
    expect(files).toEqual(['/usr/lib64/libssl.so.3', '/etc/libssl.so']);
  });

  it('reads whole file names from OLDFILENAMES in headers that predate compressed names', () => {
    expect(info(...NVR, [RpmTag.OLDFILENAMES, ['/bin/sh', '/etc/profile']]).files).toEqual([
      '/bin/sh',
      '/etc/profile',
    ]);
  });

  it('keeps every file when FILEMODES does not line up with the names', () => {
    const files = info(
      ...NVR,
      [RpmTag.FILEMODES, { int16: [0o40755] }],
      [RpmTag.OLDFILENAMES, ['/a', '/b']],
    ).files;
    expect(files).toEqual(['/a', '/b']);
  });

  const broken: readonly { name: string; tags: readonly Tagged[]; reason: RegExp }[] = [
    { name: 'no NAME', tags: NVR.slice(1), reason: /no NAME tag/ },
    {
      name: 'an empty VERSION',
      tags: [NVR[0] ?? [0, ''], [RpmTag.VERSION, ''], NVR[2] ?? [0, '']],
      reason: /no VERSION tag/,
    },
    { name: 'no RELEASE', tags: NVR.slice(0, 2), reason: /no RELEASE tag/ },
    {
      name: 'an EPOCH stored as a string',
      tags: [...NVR, [RpmTag.EPOCH, '1']],
      reason: /EPOCH\) has type STRING, expected INT32/,
    },
    {
      name: 'BASENAMES without DIRNAMES',
      tags: [...NVR, [RpmTag.DIRINDEXES, { int32: [0] }], [RpmTag.BASENAMES, ['a']]],
      reason: /BASENAMES without DIRNAMES and DIRINDEXES/,
    },
    {
      name: 'fewer DIRINDEXES than BASENAMES',
      tags: [
        ...NVR,
        [RpmTag.DIRINDEXES, { int32: [0] }],
        [RpmTag.BASENAMES, ['a', 'b']],
        [RpmTag.DIRNAMES, ['/']],
      ],
      reason: /2 BASENAMES but 1 DIRINDEXES/,
    },
    {
      name: 'a DIRINDEXES entry beyond DIRNAMES',
      tags: [
        ...NVR,
        [RpmTag.DIRINDEXES, { int32: [0, 7] }],
        [RpmTag.BASENAMES, ['a', 'b']],
        [RpmTag.DIRNAMES, ['/']],
      ],
      reason: /DIRINDEXES\[1\] = 7 is beyond the 1 DIRNAMES/,
    },
  ];

  it.each(broken)('rejects a header with $name', ({ tags, reason }) => {
    expect(() => info(...tags)).toThrow(RpmError);
    expect(() => info(...tags)).toThrow(reason);
  });
});

describe('formatRpmEvr', () => {
  it.each([
    [{ epoch: undefined, version: '5.1.8', release: '1.cm2' }, '5.1.8-1.cm2'],
    [{ epoch: 0, version: '1.0', release: '1' }, '0:1.0-1'],
    [{ epoch: 2, version: '2.9.13', release: '3.el9' }, '2:2.9.13-3.el9'],
  ])('formats %j as %s (the epoch only when the header has one)', (evr, expected) => {
    expect(formatRpmEvr(evr)).toBe(expected);
  });
});

describe('parseSourceRpm', () => {
  it.each([
    ['util-linux-2.32.1-42.el8_8.src.rpm', { name: 'util-linux', version: '2.32.1', release: '42.el8_8' }],
    [
      'gcc12-12.2.1+git416-150000.1.5.1.src.rpm',
      { name: 'gcc12', version: '12.2.1+git416', release: '150000.1.5.1' },
    ],
    ['ca-certificates-2.0.0-1.cm2.src.rpm', { name: 'ca-certificates', version: '2.0.0', release: '1.cm2' }],
    ['firmware-1-2.nosrc.rpm', { name: 'firmware', version: '1', release: '2' }],
  ])('splits %s at its last two dashes', (fileName, expected) => {
    expect(parseSourceRpm(fileName)).toEqual(expected);
  });

  it.each([
    'bash.src.rpm',
    'bash-5.1.src.rpm',
    'bash-5.1-1.x86_64.rpm',
    '',
    `${'a-'.repeat(600)}1-1.src.rpm`,
  ])('gives undefined for %j, which is not a name-version-release.src.rpm', (fileName) => {
    expect(parseSourceRpm(fileName)).toBeUndefined();
  });
});
