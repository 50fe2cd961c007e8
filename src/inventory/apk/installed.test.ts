import { describe, expect, it } from 'vitest';
import { parseApkInstalled } from './installed.js';

describe('parseApkInstalled', () => {
  it('reads name, version, arch, origin, license and owned files (R under the last F)', () => {
    const db = parseApkInstalled(
      [
        'C:Q1abc=',
        'P:busybox',
        'V:1.36.1-r15',
        'A:x86_64',
        'L:GPL-2.0-only',
        'o:busybox',
        'F:bin',
        'R:busybox',
        'Z:Q1xyz=',
        'F:etc/securetty.d/',
        'R:a',
        'R:b',
        '',
      ].join('\n'),
    );
    expect(db).toEqual({
      records: [
        {
          name: 'busybox',
          version: '1.36.1-r15',
          arch: 'x86_64',
          origin: 'busybox',
          license: 'GPL-2.0-only',
          files: ['bin/busybox', 'etc/securetty.d/a', 'etc/securetty.d/b'],
          line: 1,
        },
      ],
      problems: [],
    });
  });

  const cases: { name: string; text: string; records: string[]; problems: string[] }[] = [
    {
      name: 'blocks are separated by blank lines; the last needs no trailing one',
      text: 'P:a\nV:1-r0\n\nP:b\nV:2-r0',
      records: ['a 1-r0 @1', 'b 2-r0 @4'],
      problems: [],
    },
    {
      name: "a block without V is lost and reported (Trivy's invalidPackageWithoutAVersion)",
      text: 'P:invalidPackageWithoutAVersion\n\nP:ok\nV:1-r0\n',
      records: ['ok 1-r0 @3'],
      problems: ['lost: block at line 1 (invalidPackageWithoutAVersion) has no version (V:)'],
    },
    {
      name: 'a block without P is lost and reported',
      text: 'V:1-r0\nA:x86_64\n',
      records: [],
      problems: ['lost: block at line 1 has no package name (P:)'],
    },
    {
      name: 'a line that is not `X:value` is a note; the package counts',
      text: 'P:a\nV:1-r0\nnot a field\n',
      records: ['a 1-r0 @1'],
      problems: ['note: a: line 3: not a "X:value" line'],
    },
    {
      name: 'R lines before any F are files at the root; CRLF tolerated',
      text: 'P:a\r\nV:1-r0\r\nR:.profile\r\n',
      records: ['a 1-r0 @1 .profile'],
      problems: [],
    },
    {
      name: 'several blank lines make no empty blocks',
      text: '\n\nP:a\nV:1-r0\n\n\n\n',
      records: ['a 1-r0 @3'],
      problems: [],
    },
  ];
  it.each(cases)('$name', ({ text, records, problems }) => {
    const db = parseApkInstalled(text);
    expect({
      records: db.records.map((r) => [`${r.name} ${r.version} @${r.line}`, ...r.files].join(' ')),
      problems: db.problems.map((p) => `${p.lost ? 'lost' : 'note'}: ${p.message}`),
    }).toEqual({ records, problems });
  });
});
