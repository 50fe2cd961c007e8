import { describe, expect, it } from 'vitest';
import { GateError } from './errors.js';
import { parseIgnoreFile } from './ignore-file.js';

describe('parseIgnoreFile', () => {
  it('reads entries with every field, and their lines', () => {
    const text = [
      '# accepted risks',
      'vulnerabilities:',
      '  - id: CVE-2024-0001',
      '    reason: not reachable',
      '  - id: GHSA-35jh-r3h4-6jhm',
      '    package: lodash',
      '    purl: pkg:npm/lodash',
      '    reason: only used at build time',
      '    expires: 2026-12-31',
      '',
    ].join('\n');
    expect(parseIgnoreFile(text)).toEqual([
      { id: 'CVE-2024-0001', reason: 'not reachable', line: 3 },
      {
        id: 'GHSA-35jh-r3h4-6jhm',
        package: 'lodash',
        purl: 'pkg:npm/lodash',
        reason: 'only used at build time',
        expires: '2026-12-31',
        line: 5,
      },
    ]);
  });

  it.each(['', '# nothing yet\n', 'vulnerabilities: []\n'])('reads %j as no entries', (text) => {
    expect(parseIgnoreFile(text)).toEqual([]);
  });

  const malformed: { name: string; text: string; line: number; message: RegExp }[] = [
    {
      name: 'an unclosed flow sequence (reported where the file ends)',
      text: 'vulnerabilities:\n  - id: [CVE\n',
      line: 3,
      message: /not valid YAML/,
    },
    {
      name: 'a tab as indentation',
      text: 'vulnerabilities:\n\t- id: CVE-1\n',
      line: 2,
      message: /not valid YAML/,
    },
    {
      name: 'a duplicate key',
      text: 'vulnerabilities: []\nvulnerabilities: []\n',
      line: 2,
      message: /not valid YAML/,
    },
    {
      name: 'a list at the top',
      text: '- id: CVE-1\n  reason: r\n',
      line: 1,
      message: /expected vulnerabilities/,
    },
    {
      name: 'a missing reason',
      text: 'vulnerabilities:\n  - id: CVE-1\n  - id: CVE-2\n    reason: r\n',
      line: 2,
      message: /vulnerabilities\.0\.reason/,
    },
    {
      name: 'an empty reason',
      text: 'vulnerabilities:\n  - id: CVE-1\n    reason: "  "\n',
      line: 3,
      message: /reason/,
    },
    {
      name: 'an impossible date',
      text: 'vulnerabilities:\n  - id: CVE-1\n    reason: r\n    expires: 2026-02-30\n',
      line: 4,
      message: /YYYY-MM-DD/,
    },
    {
      name: 'a date in another form',
      text: 'vulnerabilities:\n  - id: CVE-1\n    reason: r\n    expires: 31/12/2026\n',
      line: 4,
      message: /YYYY-MM-DD/,
    },
    {
      name: 'a number as id',
      text: 'vulnerabilities:\n  - id: 12\n    reason: r\n',
      line: 2,
      message: /vulnerabilities\.0\.id/,
    },
    {
      name: 'an unknown key',
      text: 'vulnerabilities:\n  - id: CVE-1\n    reason: r\n    until: 2026-01-01\n',
      line: 2,
      message: /until/,
    },
    {
      name: 'a purl that is not one',
      text: 'vulnerabilities:\n  - id: CVE-1\n    reason: r\n    purl: lodash\n',
      line: 4,
      message: /purl/,
    },
  ];
  it.each(malformed)('rejects $name naming line $line', ({ text, line, message }) => {
    let caught: unknown;
    try {
      parseIgnoreFile(text, 'ignore.yaml');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GateError);
    const err = caught as GateError;
    expect(err.code).toBe('IGNORE_INVALID');
    expect(err.message).toMatch(new RegExp(`^ignore\\.yaml:${line}: `));
    expect(err.message).toMatch(message);
  });

  it('rejects a file whose aliases expand without bound', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) {
      lines.push(
        `${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(10)
          .fill(i === 1 ? '*a' : `*${'b'.repeat(i - 1)}`)
          .join(', ')}]`,
      );
    }
    expect(() => parseIgnoreFile(lines.join('\n'))).toThrow(/Excessive alias count/);
  });

  it('rejects a file over the size limit', () => {
    expect(() => parseIgnoreFile(`# ${'x'.repeat(1 << 20)}`)).toThrow(/larger than/);
  });
});
