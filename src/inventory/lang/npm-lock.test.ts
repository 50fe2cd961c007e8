import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { LangParseError, type FoundPackage } from './common.js';
import { npmNameFromInstallPath, parsePackageLock, readLockEntries } from './npm-lock.js';

/** name@version with the flags a row expects: '' (production), 'dev' or 'optional'. */
type Row = readonly [string, string, '' | 'dev' | 'optional'];

function rows(packages: readonly FoundPackage[]): Row[] {
  return packages
    .map((p): Row => {
      const full = p.namespace === undefined ? p.name : `${p.namespace}/${p.name}`;
      const flag =
        p.metadata?.['dev'] === 'true' ? 'dev' : p.metadata?.['optional'] === 'true' ? 'optional' : '';
      return [full, p.version, flag];
    })
    .sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
}

// Trivy's npm parser fixtures (pkg/dependency/parser/nodejs/npm/testdata): the same express-like
// tree written by npm 6 (v1), 7/8 (v2) and 9+ (v3). 33 install locations; debug@2.6.9 and
// ms@2.0.0 sit under both body-parser and finalhandler, so 31 distinct name@version. debug@2.5.2
// and its ms@0.7.2 are devDependencies; asap and promise optional.
const TRIVY_TREE: readonly Row[] = [
  ['@babel/helper-string-parser', '7.19.4', ''],
  ['asap', '2.0.6', 'optional'],
  ['body-parser', '1.18.3', ''],
  ['bytes', '3.0.0', ''],
  ['content-type', '1.0.5', ''],
  ['debug', '2.5.2', 'dev'],
  ['debug', '2.6.9', ''],
  ['depd', '1.1.2', ''],
  ['ee-first', '1.1.1', ''],
  ['encodeurl', '1.0.2', ''],
  ['escape-html', '1.0.3', ''],
  ['finalhandler', '1.1.1', ''],
  ['http-errors', '1.6.3', ''],
  ['iconv-lite', '0.4.23', ''],
  ['inherits', '2.0.3', ''],
  ['media-typer', '0.3.0', ''],
  ['mime-db', '1.52.0', ''],
  ['mime-types', '2.1.35', ''],
  ['ms', '0.7.2', 'dev'],
  ['ms', '1.0.0', ''],
  ['ms', '2.0.0', ''],
  ['on-finished', '2.3.0', ''],
  ['parseurl', '1.3.3', ''],
  ['promise', '8.3.0', 'optional'],
  ['qs', '6.5.2', ''],
  ['raw-body', '2.3.3', ''],
  ['safer-buffer', '2.1.2', ''],
  ['setprototypeof', '1.1.0', ''],
  ['statuses', '1.4.0', ''],
  ['type-is', '1.6.18', ''],
  ['unpipe', '1.0.0', ''],
];

const nodeProjects = path.join(import.meta.dirname, 'testdata', 'node-projects.tar');
const fromTar = (member: string): string =>
  execFileSync('tar', ['-xOf', nodeProjects, member], { encoding: 'utf8' });

describe('parsePackageLock', () => {
  it.each([
    ['v1', 'trivy-package-lock_v1.json', 1],
    ['v2', 'trivy-package-lock_v2.json', 2],
    ['v3', 'trivy-package-lock_v3.json', 3],
  ])(
    'lists the 31 distinct packages of the %s lockfile with their dev and optional flags',
    (_v, file, version) => {
      const lock = parsePackageLock(readFileSync(sharedData('pkgdb-fixtures', 'npm', file), 'utf8'));
      expect(lock.lockfileVersion).toBe(version);
      expect(lock.problems).toEqual([]);
      expect(lock.packages).toHaveLength(31);
      expect(rows(lock.packages)).toEqual(TRIVY_TREE);
    },
  );

  it('splits a scope into the namespace and keeps resolved and integrity as metadata', () => {
    const lock = parsePackageLock(
      readFileSync(sharedData('pkgdb-fixtures', 'npm', 'trivy-package-lock_v3.json'), 'utf8'),
    );
    const babel = lock.packages.find((p) => p.name === 'helper-string-parser');
    expect(babel).toMatchObject({ namespace: '@babel', version: '7.19.4' });
    expect(babel?.metadata?.['resolved']).toBe(
      'https://registry.npmjs.org/@babel/helper-string-parser/-/helper-string-parser-7.19.4.tgz',
    );
    expect(babel?.metadata?.['integrity']).toMatch(/^sha512-/);
  });

  it('reads the real name of an alias and the licenses npm 11 writes into a v3 lockfile', () => {
    // npm 11.19.1's own lockfile of testdata/node-projects.tar (see testdata/SOURCES.md).
    const lock = parsePackageLock(fromTar('npm-app/package-lock.json'));
    expect(lock.lockfileVersion).toBe(3);
    expect(rows(lock.packages)).toEqual([
      ['@types/semver', '7.5.8', ''],
      ['debug', '4.3.4', ''],
      ['has-flag', '4.0.0', 'dev'],
      ['is-number', '7.0.0', ''],
      ['ms', '2.1.2', ''],
      ['ms', '2.1.3', ''],
      ['typescript', '5.4.5', 'dev'],
    ]);
    expect(lock.packages.find((p) => p.name === 'typescript')?.licenses).toEqual(['Apache-2.0']);
    expect(lock.packages.find((p) => p.name === 'is-number')?.licenses).toEqual(['MIT']);
  });

  it('leaves out the project, workspace folders, links and file: dependencies', () => {
    const lock = parsePackageLock(
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'root', version: '1.0.0' },
          'packages/a': { name: 'a', version: '0.1.0' },
          'node_modules/a': { resolved: 'packages/a', link: true },
          'node_modules/left-pad': { version: '1.3.0' },
        },
      }),
    );
    expect(rows(lock.packages)).toEqual([['left-pad', '1.3.0', '']]);
    const v1 = parsePackageLock(
      JSON.stringify({
        lockfileVersion: 1,
        dependencies: {
          local: { version: 'file:../local' },
          isnum: { version: 'npm:is-number@7.0.0' },
          '@s/x': { version: 'npm:@s/y@2.0.0' },
        },
      }),
    );
    expect(rows(v1.packages)).toEqual([
      ['@s/y', '2.0.0', ''],
      ['is-number', '7.0.0', ''],
    ]);
  });

  it('counts a package dev only when every install location of it is dev', () => {
    const lock = parsePackageLock(
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          'node_modules/a/node_modules/ms': { version: '2.0.0', dev: true },
          'node_modules/b/node_modules/ms': { version: '2.0.0' },
          'node_modules/c/node_modules/x': { version: '1.0.0', dev: true },
          'node_modules/d/node_modules/x': { version: '1.0.0', dev: true },
          'node_modules/y': { version: '1.0.0', devOptional: true },
        },
      }),
    );
    expect(rows(lock.packages)).toEqual([
      ['ms', '2.0.0', ''],
      ['x', '1.0.0', 'dev'],
      ['y', '1.0.0', ''],
    ]);
  });

  it.each([
    ['text that is not JSON', '{"lockfileVersion": 3,', /not valid JSON/],
    ['a JSON array', '[]', /not an npm lockfile/],
    [
      'a lockfileVersion that is not a number',
      '{"lockfileVersion": "3"}',
      /not an npm lockfile: lockfileVersion/,
    ],
    ['a packages map that is an array', '{"packages": []}', /not an npm lockfile: packages/],
    ['JSON nested a million levels deep', '['.repeat(1_000_000), /not valid JSON|not an npm lockfile/],
  ])('refuses %s with a reason', (_name, text, reason) => {
    expect(() => parsePackageLock(text)).toThrow(LangParseError);
    expect(() => parsePackageLock(text)).toThrow(reason);
  });

  it('skips malformed entries with one problem each and keeps the rest', () => {
    const lock = parsePackageLock(
      JSON.stringify({
        lockfileVersion: 2,
        packages: {
          'node_modules/ok': { version: '1.0.0' },
          'node_modules/num': { version: 42 },
          'node_modules/none': {},
          'node_modules/bad name': { version: '1.0.0' },
          'node_modules/str': 'not an object',
        },
      }),
    );
    expect(rows(lock.packages)).toEqual([['ok', '1.0.0', '']]);
    expect(lock.problems).toEqual([
      '"node_modules/num": version: Invalid input: expected string, received number',
      '"node_modules/str": Invalid input: expected object, received string',
      '"node_modules/none" has no version',
      '"node_modules/bad name" has an invalid package name "bad name"',
    ]);
  });

  it('stops a hostile v1 tree at 128 levels without overflowing the stack', () => {
    // Written as text: JSON.stringify itself would overflow on 5000 levels.
    const levels = Array.from({ length: 5000 }, (_, i) => `{"p${i}":{"version":"1.0.0","dependencies":`);
    const text = `{"lockfileVersion":1,"dependencies":${levels.join('')}{}${'}}'.repeat(5000)}}`;
    const lock = parsePackageLock(text);
    expect(lock.packages).toHaveLength(128);
    expect(lock.problems).toHaveLength(1);
    expect(lock.problems[0]).toMatch(/nests deeper than 128 levels/);
  });
});

describe('readLockEntries', () => {
  it('gives the hidden lockfile entries by install path', () => {
    const { entries, problems } = readLockEntries(fromTar('npm-app/node_modules/.package-lock.json'));
    expect(problems).toEqual([]);
    expect([...entries.keys()].sort()).toEqual([
      'node_modules/@types/semver',
      'node_modules/debug',
      'node_modules/debug/node_modules/ms',
      'node_modules/has-flag',
      'node_modules/isnum',
      'node_modules/ms',
      'node_modules/typescript',
    ]);
    expect(entries.get('node_modules/typescript')).toMatchObject({ version: '5.4.5', dev: true });
    expect(entries.get('node_modules/isnum')).toMatchObject({ name: 'is-number', version: '7.0.0' });
  });
});

describe('npmNameFromInstallPath', () => {
  it.each([
    ['node_modules/package-name', 'package-name'],
    ['node_modules/@scope/package-name', '@scope/package-name'],
    ['node_modules/a/node_modules/sub-package', 'sub-package'],
    ['packages/workspace', 'packages/workspace'],
  ])('names %s %s', (key, name) => {
    expect(npmNameFromInstallPath(key)).toBe(name);
  });
});
