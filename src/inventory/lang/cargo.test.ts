import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { imageOfFiles } from '../../testing/inventory-trees.js';
import { buildInventory } from '../inventory.js';
import { cargoAnalyzer, parseCargoLock } from './cargo.js';

const lockfile = (file: string): string => readFileSync(sharedData('pkgdb-fixtures', 'cargo', file), 'utf8');
const REGISTRY = 'registry+https://github.com/rust-lang/crates.io-index';

// Trivy's Cargo.lock parser fixtures (see pkgdb-fixtures/SOURCES.md): the same 8 crates in a
// v1 file ("normal") and in a v1 file with blank lines, comments, a [metadata] table between
// packages and a version written as a multi-line string ("mixed"); a v3 file of 9 crates with
// two versions each of memchr and regex-syntax. `normal` and `app` are the workspace's own crates.
const V1_CRATES = [
  'idna 0.1.5',
  'libc 0.2.54',
  'matches 0.1.8',
  'normal 0.1.0',
  'percent-encoding 1.0.1',
  'typemap 0.3.3',
  'unsafe-any 0.4.2',
  'url 1.7.2',
];

describe('parseCargoLock', () => {
  it.each([
    ['trivy-cargo_normal.lock', undefined, V1_CRATES],
    ['trivy-cargo_mixed.lock', undefined, V1_CRATES],
    [
      'trivy-cargo_v3.lock',
      3,
      [
        'aho-corasick 0.7.20',
        'app 0.1.0',
        'libc 0.2.140',
        'memchr 1.0.2',
        'memchr 2.5.0',
        'regex 1.7.3',
        'regex-syntax 0.5.6',
        'regex-syntax 0.6.29',
        'ucd-util 0.1.10',
      ],
    ],
  ])('lists the crates of %s', (file, lockVersion, crates) => {
    const lock = parseCargoLock(lockfile(file));
    expect(lock.lockVersion).toBe(lockVersion);
    expect(lock.problems).toEqual([]);
    expect(lock.packages.map((p) => `${p.name} ${p.version}`).sort()).toEqual(crates);
  });

  it('keeps source and checksum, taking v1 checksums from the [metadata] table', () => {
    const v3 = parseCargoLock(lockfile('trivy-cargo_v3.lock')).packages;
    expect(v3.find((p) => p.name === 'libc')?.metadata).toEqual({
      source: REGISTRY,
      checksum: '99227334921fae1a979cf0bfdfcc6b3e5ce376ef57e16fb6fb3ea2ed6095f80c',
    });
    // The workspace's own crate has neither.
    expect(v3.find((p) => p.name === 'app')?.metadata).toEqual({});
    const mixed = parseCargoLock(lockfile('trivy-cargo_mixed.lock')).packages;
    expect(mixed.find((p) => p.name === 'libc')?.metadata).toEqual({
      source: REGISTRY,
      checksum: 'c6785aa7dd976f5fbf3b71cfd9cd49d7f783c1ff565a858d71031c6c313aa5c6',
    });
    expect(mixed.find((p) => p.name === 'url')?.metadata).toEqual({ source: REGISTRY });
  });

  it('reports packages without a usable name or version as problems', () => {
    const lock = parseCargoLock(
      [
        '[[package]]',
        'name = "ok"',
        'version = "1.0.0"',
        '[[package]]',
        'version = "1.0.0"',
        '[[package]]',
        'name = "has space"',
        'version = "1"',
        '[[package]]',
        'name = "numeric"',
        'version = 1',
      ].join('\n'),
    );
    expect(lock.packages.map((p) => p.name)).toEqual(['ok']);
    expect(lock.problems).toEqual([
      'line 4: [[package]] without a valid name (undefined)',
      'line 6: [[package]] without a valid name (has space)',
      'line 9: crate numeric without a valid version',
    ]);
  });
});

describe('cargoAnalyzer', () => {
  it('reports every crate of a Cargo.lock as declared only, with its purl and location', async () => {
    const inv = await buildInventory(
      await imageOfFiles({ 'app/Cargo.lock': lockfile('trivy-cargo_v3.lock') }),
      {
        analyzers: [cargoAnalyzer],
      },
    );
    expect(inv.gaps).toEqual([]);
    expect(inv.packages).toHaveLength(9);
    expect(
      inv.packages.every(
        (p) => p.type === 'cargo' && p.declaredOnly === true && p.location.path === 'app/Cargo.lock',
      ),
    ).toBe(true);
    expect(inv.packages.map((p) => p.purl)).toContain('pkg:cargo/regex-syntax@0.5.6');
  });

  it('makes a file that is not a Cargo.lock a gap, and malformed packages one gap per file', async () => {
    const inv = await buildInventory(
      await imageOfFiles({
        'a/Cargo.lock': 'this is not toml',
        'b/Cargo.lock': '[[package]]\nname = "x"\n[[package]]\nname = "y"\nversion = "2.0.0"\n',
        'c/Cargo.lock': `version = 3\n${'[[package]]\nname = "p"\nversion = "1.0.0"\n'.repeat(3)}x = {`,
      }),
      { analyzers: [cargoAnalyzer] },
    );
    expect(inv.packages.map((p) => `${p.location.path} ${p.name}`)).toEqual(['b/Cargo.lock y']);
    expect(inv.gaps.map((g) => [g.path, g.reason])).toEqual([
      ['a/Cargo.lock', 'line 1: expected "=" after key "this"'],
      ['b/Cargo.lock', '1 entry skipped: line 1: crate x without a valid version'],
      ['c/Cargo.lock', 'line 11: inline tables are not supported'],
    ]);
  });
});
