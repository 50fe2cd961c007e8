import { describe, expect, it } from 'vitest';
import { parseShellVars } from './shellvars.js';

describe('parseShellVars (os-release(5) syntax)', () => {
  const cases: { name: string; text: string; want: Record<string, string> }[] = [
    { name: 'unquoted values', text: 'ID=debian\nVERSION_ID=12\n', want: { ID: 'debian', VERSION_ID: '12' } },
    {
      name: 'double quotes keep spaces',
      text: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
      want: { PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)' },
    },
    { name: 'single quotes are literal', text: 'NAME=\'a \\"b\\" $c\'', want: { NAME: 'a \\"b\\" $c' } },
    {
      name: 'backslash escapes $ " \\ and ` inside double quotes, and nothing else',
      text: 'X="\\$HOME \\"q\\" \\\\ \\` \\n"',
      want: { X: '$HOME "q" \\ ` \\n' },
    },
    { name: 'adjacent quoted parts concatenate', text: `X="a"'b'c`, want: { X: 'abc' } },
    { name: 'comments and blank lines are skipped', text: '# ID=nope\n\n  \nID=yes', want: { ID: 'yes' } },
    {
      name: 'CRLF line ends are tolerated',
      text: 'ID=alpine\r\nVERSION_ID=3.19.1\r\n',
      want: { ID: 'alpine', VERSION_ID: '3.19.1' },
    },
    { name: 'an unclosed quote drops that line only', text: 'A="open\nB=ok', want: { B: 'ok' } },
    {
      name: 'lines that are not assignments are ignored',
      text: 'garbage\n=x\n1A=2\nOK=1',
      want: { OK: '1' },
    },
    { name: 'a later assignment wins', text: 'ID=a\nID=b', want: { ID: 'b' } },
    { name: 'an empty value is kept as empty', text: 'VARIANT=', want: { VARIANT: '' } },
    {
      name: 'unquoted whitespace ends the value',
      text: 'ID=fedora # trailing comment',
      want: { ID: 'fedora' },
    },
  ];
  it.each(cases)('$name', ({ text, want }) => {
    expect(Object.fromEntries(parseShellVars(text))).toEqual(want);
  });
});
