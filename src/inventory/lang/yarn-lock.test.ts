import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LangParseError, type FoundPackage } from './common.js';
import { packageJsonSchema } from './schema.js';
import { parseYarnLock, parseYarnLockStructure, splitDescriptor } from './yarn-lock.js';

const nodeProjects = path.join(import.meta.dirname, 'testdata', 'node-projects.tar');
const fromTar = (member: string): string =>
  execFileSync('tar', ['-xOf', nodeProjects, member], { encoding: 'utf8' });
const manifest = (member: string) => packageJsonSchema.parse(JSON.parse(fromTar(member)));

type Row = readonly [string, string, '' | 'dev'];

function rows(packages: readonly FoundPackage[]): Row[] {
  return packages
    .map((p): Row => [
      p.namespace === undefined ? p.name : `${p.namespace}/${p.name}`,
      p.version,
      p.metadata?.['dev'] === 'true' ? 'dev' : '',
    ])
    .sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
}

// Both lockfiles of testdata/node-projects.tar come from one package.json (see SOURCES.md):
// has-flag and typescript are devDependencies; isnum is an alias of is-number; debug pins
// ms 2.1.2 while the project asks for ms ^2.1.1 (2.1.3).
const EXPECTED: readonly Row[] = [
  ['@types/semver', '7.5.8', ''],
  ['debug', '4.3.4', ''],
  ['has-flag', '4.0.0', 'dev'],
  ['is-number', '7.0.0', ''],
  ['ms', '2.1.2', ''],
  ['ms', '2.1.3', ''],
  ['typescript', '5.4.5', 'dev'],
];

describe('parseYarnLock', () => {
  it.each([
    ['berry (yarn 4.5.0)', 'yarn-berry', 'berry'],
    ['classic (yarn 1.22.22)', 'yarn-classic', 'classic'],
  ])(
    'lists the 7 packages of a real %s lockfile, dev ones marked from package.json',
    (_name, dir, format) => {
      const lock = parseYarnLock(fromTar(`${dir}/yarn.lock`), manifest(`${dir}/package.json`));
      expect(lock.format).toBe(format);
      expect(lock.problems).toEqual([]);
      expect(rows(lock.packages)).toEqual(EXPECTED);
    },
  );

  it('marks nothing dev without the project package.json', () => {
    const lock = parseYarnLock(fromTar('yarn-berry/yarn.lock'));
    expect(rows(lock.packages)).toEqual(EXPECTED.map(([n, v]) => [n, v, '']));
  });

  it('keeps where a package was resolved from as metadata', () => {
    const berry = parseYarnLock(fromTar('yarn-berry/yarn.lock')).packages.find((p) => p.name === 'is-number');
    expect(berry?.metadata).toMatchObject({ resolved: 'is-number@npm:7.0.0' });
    expect(berry?.metadata?.['integrity']).toMatch(/^10c0\//);
    const classic = parseYarnLock(fromTar('yarn-classic/yarn.lock')).packages.find(
      (p) => p.name === 'semver',
    );
    expect(classic).toMatchObject({ namespace: '@types', version: '7.5.8' });
    expect(classic?.metadata?.['resolved']).toMatch(
      /^https:\/\/registry\.yarnpkg\.com\/@types\/semver\/-\/semver-7\.5\.8\.tgz#/,
    );
    expect(classic?.metadata?.['integrity']).toMatch(/^sha512-/);
  });

  it('reads every descriptor of a classic entry that serves several ranges', () => {
    const text = [
      '# yarn lockfile v1',
      '',
      '"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":',
      '  version "7.12.13"',
      '',
      'local-thing@file:../local:',
      '  version "0.0.1"',
      '',
    ].join('\n');
    const { entries } = parseYarnLockStructure(text);
    expect(entries.map((e) => e.descriptors)).toEqual([
      ['@babel/code-frame@^7.0.0', '@babel/code-frame@^7.10.4'],
      ['local-thing@file:../local'],
    ]);
    expect(rows(parseYarnLock(text).packages)).toEqual([['@babel/code-frame', '7.12.13', '']]);
  });

  it('reports entries without a version as problems and keeps the others', () => {
    const text = [
      'a@^1:',
      '  version "1.0.0"',
      'b@^2:',
      '  resolved "https://example.invalid/b.tgz"',
      '',
    ].join('\n');
    const lock = parseYarnLock(text);
    expect(rows(lock.packages)).toEqual([['a', '1.0.0', '']]);
    expect(lock.problems).toEqual(['line 3: "b@^2" has no version']);
  });

  it.each([
    ['a tab in the indentation', 'a@^1:\n\tversion "1.0.0"\n', 'line 2: tab in indentation'],
    ['an indented first line', '  version "1.0.0"\n', 'line 1: indented line outside any entry'],
    ['a top-level value', 'a@^1 "1.0.0"\n', 'line 1: expected an entry'],
    ['an unterminated string', 'a@^1:\n  version "1.0.0\n', 'line 2: unterminated string'],
    [
      'a YAML list',
      '__metadata:\n  version: 8\n"a@npm:1":\n  bin:\n    - x\n',
      'line 5: expected "key: value"',
    ],
    [
      'a flow mapping',
      '__metadata:\n  version: 8\n"a@npm:1":\n  x: {a: 1}\n',
      'line 4: YAML construct yarn does not write',
    ],
    ['a malformed escape', 'a@^1:\n  version "1.0.0\\q"\n', 'line 2: malformed quoted string'],
    [
      'nesting nine levels deep',
      `a@^1:\n${Array.from({ length: 9 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')}\n`,
      'nested deeper than 8 levels',
    ],
  ])('refuses %s, naming the line', (_name, text, message) => {
    expect(() => parseYarnLock(text)).toThrow(LangParseError);
    expect(() => parseYarnLock(text)).toThrow(message);
  });
});

describe('splitDescriptor', () => {
  it.each([
    ['lodash@^4.17.21', { name: 'lodash', range: '^4.17.21' }],
    ['@types/node@npm:20.1.0', { name: '@types/node', range: 'npm:20.1.0' }],
    ['isnum@npm:is-number@7.0.0', { name: 'isnum', range: 'npm:is-number@7.0.0' }],
    ['no-range', undefined],
    ['@scope-only', undefined],
  ])('splits %s', (descriptor, expected) => {
    expect(splitDescriptor(descriptor)).toEqual(expected);
  });
});
