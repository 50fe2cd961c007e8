import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { LangParseError } from './common.js';
import { parseTomlSubset, type TomlTable, type TomlValue } from './toml-subset.js';

/** The document as the nested object a TOML library gives, to compare with Python's tomllib. */
function toObject(tables: readonly TomlTable[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const t of tables) {
    let target = root;
    const parts = t.header === '' ? [] : t.header.split('.');
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      if (last && t.isArrayItem) {
        const list = (target[part] ?? []) as Record<string, unknown>[];
        const item: Record<string, unknown> = {};
        list.push(item);
        target[part] = list;
        target = item;
      } else {
        target[part] ??= {};
        target = target[part] as Record<string, unknown>;
      }
    });
    for (const [k, v] of t.values) target[k] = v satisfies TomlValue;
  }
  return root;
}

/** What Python's tomllib (Debian's /usr/bin/python3, 3.11) makes of the text. */
function tomllib(text: string): unknown {
  const script = 'import json, sys, tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))';
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: text, encoding: 'utf8' }));
}

describe('parseTomlSubset', () => {
  it.each(['trivy-cargo_normal.lock', 'trivy-cargo_mixed.lock', 'trivy-cargo_v3.lock'])(
    'reads %s as Python tomllib does',
    (file) => {
      const text = readFileSync(sharedData('pkgdb-fixtures', 'cargo', file), 'utf8');
      expect(toObject(parseTomlSubset(text))).toEqual(tomllib(text));
    },
  );

  it('reads every kind of string, integers, booleans and multi-line arrays as tomllib does', () => {
    const text = [
      '# comment',
      'version = 4 # trailing comment',
      'big = 1_000_000',
      'neg = -17',
      'yes = true',
      'no = false',
      '"quoted key" = "tab\\there \\"q\\" \\\\ \\u00e9 \\U0001F600"',
      "literal = 'C:\\path\\no\\escapes'",
      'multi = """',
      'first line',
      'joined \\',
      '    here"""',
      "raw = '''",
      "two ''quotes'' inside'''",
      'quotes = """ends with two quotes"""""',
      '',
      '[[package]]',
      'name = "a"',
      'dependencies = [',
      ' "b 1.0", # why b',
      ' [1, 2],',
      ']',
      '',
      '[[package]]',
      'name = "b"',
      'empty = []',
      '',
      '[patch.unused]',
      "name = 'c'",
    ].join('\r\n');
    expect(toObject(parseTomlSubset(text))).toEqual(tomllib(text));
  });

  it.each([
    ['a dotted key', 'a.b = 1', 'line 1: dotted keys are not supported'],
    ['an inline table', 'x = { a = 1 }', 'line 1: inline tables are not supported'],
    ['a float', 'x = 1.5', 'line 1: unsupported value'],
    ['a date', 'x = 1979-05-27', 'line 1: unsupported value'],
    ['a key defined twice', 'x = 1\nx = 2', 'line 2: key "x" defined twice'],
    ['a table defined twice', '[a]\n[a]', 'line 2: table [a] defined twice'],
    ['an unterminated string', 'x = "abc\ny = 1', 'line 1: unterminated string'],
    ['an unterminated multi-line string', 'x = """abc\n\n', 'unterminated """ string'],
    ['an unterminated array', 'x = [1,\n2,\n', 'line 3: unterminated array'],
    ['two values on a line', 'x = 1 y = 2', 'line 1: unexpected'],
    ['a bad escape', 'x = "\\q"', 'line 1: bad escape \\q'],
    ['a lone surrogate escape', 'x = "\\ud800"', 'line 1: bad \\u escape'],
    ['an integer beyond 2^53', 'x = 9007199254740993', 'line 1: integer 9007199254740993 out of range'],
    [
      'arrays nested 17 deep',
      `x = ${'['.repeat(17)}${']'.repeat(17)}`,
      'line 1: arrays nested deeper than 16',
    ],
    ['a missing =', 'x 1', 'line 1: expected "=" after key "x"'],
    ['an unclosed header', '[[package]\nname = "a"', 'line 1: expected "]]" to close a table header'],
    ['binary garbage', '\u0000\u0001', 'line 1: expected a key'],
  ])('refuses %s, naming the line', (_name, text, message) => {
    expect(() => parseTomlSubset(text)).toThrow(LangParseError);
    expect(() => parseTomlSubset(text)).toThrow(message);
  });
});
