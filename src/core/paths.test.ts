import { describe, expect, it } from 'vitest';
import { joinImagePath, normalizeImagePath } from './paths.js';

describe('normalizeImagePath', () => {
  it.each([
    ['./etc/passwd', 'etc/passwd'],
    ['/etc//passwd', 'etc/passwd'],
    ['etc/./apt/../passwd', 'etc/passwd'],
    ['./', ''],
    ['usr/lib/', 'usr/lib'],
    ['../../etc/shadow', 'etc/shadow'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeImagePath(input)).toBe(expected);
  });

  it.each(['../evil', 'a/../../evil', '/../etc'])('refuses %j in strict mode', (input) => {
    expect(() => normalizeImagePath(input, { strict: true })).toThrow(/escapes the image root/);
  });

  it('refuses NUL bytes', () => {
    expect(() => normalizeImagePath('etc/pass\0wd')).toThrow(/NUL/);
  });
});

describe('joinImagePath', () => {
  it.each([
    ['etc', '../usr/lib/os-release', 'usr/lib/os-release'],
    ['etc', '/usr/lib/os-release', 'usr/lib/os-release'],
    ['a/b', '../../../../x', 'x'],
  ])('%s + %s → %s', (dir, rel, expected) => {
    expect(joinImagePath(dir, rel)).toBe(expected);
  });
});
