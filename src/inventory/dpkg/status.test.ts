import { describe, expect, it } from 'vitest';
import { isInstalledStatus, parseDpkgDatabase, type DpkgDatabase } from './status.js';

describe('isInstalledStatus', () => {
  it.each([
    ['install ok installed', true],
    ['hold ok installed', true],
    ['deinstall ok installed', true],
    ['  install   ok   installed ', true],
    ['deinstall ok config-files', false],
    ['install ok half-installed', false],
    ['install reinstreq half-installed', false],
    ['purge ok not-installed', false],
    ['install ok unpacked', false],
    ['installed', false],
    ['', false],
  ])('%j → %s', (status, want) => {
    expect(isInstalledStatus(status)).toBe(want);
  });
});

function summary(db: DpkgDatabase): { records: string[]; problems: string[] } {
  return {
    records: db.records.map(
      (r) => `${r.name} ${r.version} ${r.arch ?? '-'} ${r.source.name} ${r.source.version} @${r.line}`,
    ),
    problems: db.problems.map((p) => `${p.lost ? 'lost' : 'note'}: ${p.message}`),
  };
}

describe('parseDpkgDatabase', () => {
  const cases: { name: string; text: string; withStatus: boolean; records: string[]; problems?: string[] }[] =
    [
      {
        name: 'status: only installed stanzas count',
        withStatus: true,
        text: `Package: a
Status: install ok installed
Architecture: amd64
Version: 1.0-1

Package: gone
Status: deinstall ok config-files
Architecture: amd64
Version: 2.0

Package: held
Status: hold ok installed
Architecture: all
Version: 3
`,
        records: ['a 1.0-1 amd64 a 1.0-1 @1', 'held 3 all held 3 @11'],
      },
      {
        name: 'Source with and without a version; the source version defaults to the binary version',
        withStatus: true,
        text: `Package: libacl1
Status: install ok installed
Source: acl
Version: 2.3.1-3

Package: util-linux-extra
Status: install ok installed
Source: util-linux (2.38.1-5)
Version: 2.38.1-5+b1
`,
        records: [
          'libacl1 2.3.1-3 - acl 2.3.1-3 @1',
          'util-linux-extra 2.38.1-5+b1 - util-linux 2.38.1-5 @6',
        ],
      },
      {
        name: 'epochs stay in the version',
        withStatus: true,
        text: 'Package: attr\nStatus: install ok installed\nVersion: 1:2.5.1-4\n',
        records: ['attr 1:2.5.1-4 - attr 1:2.5.1-4 @1'],
      },
      {
        name: 'status.d: no Status field means installed, but a Status that says otherwise is obeyed',
        withStatus: false,
        text: `Package: foo
Architecture: amd64
Version: 1.2.3

Package: bar
Status: deinstall ok config-files
Version: 1.0
`,
        records: ['foo 1.2.3 amd64 foo 1.2.3 @1'],
      },
      {
        name: 'status: a stanza without Status is reported, not counted',
        withStatus: true,
        text: 'Package: x\nVersion: 1\n',
        records: [],
        problems: ['lost: stanza at line 1 (x) has no Status field'],
      },
      {
        name: 'stanzas without a name or version are lost and reported; the others still count',
        withStatus: false,
        text: 'Package:\n\nPackage: no-version\n\nPackage: ok\nVersion: 1\n',
        records: ['ok 1 - ok 1 @5'],
        problems: [
          'lost: stanza at line 1 has no Package name',
          'lost: stanza at line 3 (no-version) has no Version',
        ],
      },
      {
        name: 'a corrupt stanza (syft status.d/corrupt) is lost with its unreadable lines',
        withStatus: false,
        text: 'Pakij: apt\nStratus: install ok installed\nInsterface to the configuration settings\n',
        records: [],
        problems: [
          'lost: stanza at line 1 has no Package name',
          'lost: line 3: not a "Field: value" line: "Insterface to the configuration settings"',
        ],
      },
      {
        name: 'a bad line inside a good stanza is a note; the package counts',
        withStatus: true,
        text: 'Package: a\nStatus: install ok installed\nVersion: 1\nbroken line\n',
        records: ['a 1 - a 1 @1'],
        problems: ['note: a: line 4: not a "Field: value" line: "broken line"'],
      },
      {
        name: 'an unreadable Source field is a note and falls back to the package itself',
        withStatus: true,
        text: 'Package: a\nStatus: install ok installed\nVersion: 1\nSource: a b c\n',
        records: ['a 1 - a 1 @1'],
        problems: ['note: stanza at line 1 (a): unreadable Source field "a b c"'],
      },
    ];
  it.each(cases)('$name', ({ text, withStatus, records, problems }) => {
    expect(summary(parseDpkgDatabase(text, { withStatus }))).toEqual({ records, problems: problems ?? [] });
  });
});
