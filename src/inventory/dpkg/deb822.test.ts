import { describe, expect, it } from 'vitest';
import { firstLineOf, parseDeb822 } from './deb822.js';

type Para = { line: number; fields: Record<string, string>; problems?: string[] };

function parsed(text: string, comments = false): Para[] {
  return parseDeb822(text, { comments }).map((p) => ({
    line: p.line,
    fields: Object.fromEntries(p.fields),
    ...(p.problems.length === 0 ? {} : { problems: [...p.problems] }),
  }));
}

describe('parseDeb822', () => {
  const cases: { name: string; text: string; comments?: boolean; want: Para[] }[] = [
    {
      name: 'paragraphs separated by blank lines, field names lower-cased, values trimmed',
      text: 'Package: a\nVersion:  1.0 \n\nPackage: b\n',
      want: [
        { line: 1, fields: { package: 'a', version: '1.0' } },
        { line: 4, fields: { package: 'b' } },
      ],
    },
    {
      name: 'continuation lines join the previous field, one per line, leading blanks removed',
      text: 'Description: short\n long line one\n .\n\tline two\nHomepage: x',
      want: [{ line: 1, fields: { description: 'short\nlong line one\n.\nline two', homepage: 'x' } }],
    },
    {
      name: 'a field may start empty and continue below (Conffiles)',
      text: 'Conffiles:\n /etc/a 123\n /etc/b 456',
      want: [{ line: 1, fields: { conffiles: '\n/etc/a 123\n/etc/b 456' } }],
    },
    {
      name: 'lines of only blanks separate paragraphs; repeated separators make no empty paragraphs',
      text: '\n\nA: 1\n \t\n\n\nB: 2\n\n',
      want: [
        { line: 3, fields: { a: '1' } },
        { line: 7, fields: { b: '2' } },
      ],
    },
    {
      name: 'CRLF line ends are tolerated',
      text: 'Package: a\r\nVersion: 1\r\n',
      want: [{ line: 1, fields: { package: 'a', version: '1' } }],
    },
    {
      name: 'a line that is neither field nor continuation is a problem, the rest still parses',
      text: 'Package: apt\nInsterface to the configuration settings\n  * apt-key\nVersion: 1',
      want: [
        {
          line: 1,
          fields: { package: 'apt', version: '1' },
          problems: [
            'line 2: not a "Field: value" line: "Insterface to the configuration settings"',
            'line 3: continuation line without a field: "* apt-key"',
          ],
        },
      ],
    },
    {
      name: 'a repeated field is a problem and the first value is kept',
      text: 'Package: a\npackage: b',
      want: [
        {
          line: 1,
          fields: { package: 'a' },
          problems: ['line 2: field package repeated; the first one is kept'],
        },
      ],
    },
    {
      name: 'field names may not start with # or -',
      text: '#Package: a\n-Version: 1\nOk: yes',
      want: [
        {
          line: 1,
          fields: { ok: 'yes' },
          problems: [
            'line 1: not a "Field: value" line: "#Package: a"',
            'line 2: not a "Field: value" line: "-Version: 1"',
          ],
        },
      ],
    },
    {
      name: 'with comments, lines starting with # are skipped',
      text: '# a comment\nFormat: x\n# another\nLicense: MIT',
      comments: true,
      want: [{ line: 2, fields: { format: 'x', license: 'MIT' } }],
    },
    { name: 'empty input has no paragraphs', text: '', want: [] },
    { name: 'an empty field value is kept', text: 'Package:', want: [{ line: 1, fields: { package: '' } }] },
  ];
  it.each(cases)('$name', ({ text, comments, want }) => {
    expect(parsed(text, comments)).toEqual(want);
  });
});

describe('firstLineOf', () => {
  it.each([
    ['GPL-2+\n text of the license', 'GPL-2+'],
    ['MIT', 'MIT'],
    ['', ''],
  ])('%j → %j', (value, want) => {
    expect(firstLineOf(value)).toBe(want);
  });
  it('is undefined for a missing field', () => {
    expect(firstLineOf(undefined)).toBeUndefined();
  });
});
