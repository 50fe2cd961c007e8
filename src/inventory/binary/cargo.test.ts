// A real Rust program built here with rustc (there is no crates registry, so it has no
// dependencies and cargo-auditable is not installed). The `.dep-v0` section is added with
// binutils' objcopy holding zlib-compressed JSON in the shape cargo-auditable writes
// (auditable-serde's VersionInfo), which is how cargo-auditable itself embeds it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInventory } from '../inventory.js';
import { imageOf } from '../../testing/layer-images.js';
import { readCargoAuditable, rustBinaryAnalyzer, type CargoSummary } from './cargo.js';
import { parseElf, sectionBytes } from './elf.js';

const run = promisify(execFile);
let work: string;
let plain: Buffer;

const AUDIT = {
  packages: [
    { name: 'cfg-if', version: '1.0.0', source: 'crates.io' },
    { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build' },
    { name: 'log', version: '0.4.20', source: 'crates.io', dependencies: [0] },
    { name: 'forked', version: '0.2.0', source: 'git' },
    { name: 'hello', version: '0.1.0', source: 'local', dependencies: [1, 2, 3], root: true },
  ],
};

/** The Rust program with `section` added as `.dep-v0`. */
async function withSection(name: string, section: Buffer): Promise<Buffer> {
  const data = path.join(work, `${name}.dep`);
  const out = path.join(work, `${name}.bin`);
  await writeFile(data, section);
  await run('objcopy', ['--add-section', `.dep-v0=${data}`, path.join(work, 'hello'), out]);
  return readFile(out);
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'portcullis-rust-'));
  await writeFile(path.join(work, 'hello.rs'), 'fn main() { println!("hello"); }\n');
  await run('rustc', ['-O', '-o', path.join(work, 'hello'), path.join(work, 'hello.rs')]);
  plain = await readFile(path.join(work, 'hello'));
}, 300_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

type Case = {
  readonly name: string;
  /** The `.dep-v0` content; undefined for the program without one. */
  readonly section: (() => Buffer) | undefined;
  readonly expected: CargoSummary['kind'] | undefined;
  readonly reason?: RegExp;
};

const zjson = (value: unknown): Buffer => deflateSync(Buffer.from(JSON.stringify(value)));

const cases: Case[] = [
  { name: 'a program without audit data is not reported', section: undefined, expected: undefined },
  { name: 'reads the crates of zlib-compressed audit JSON', section: () => zjson(AUDIT), expected: 'cargo' },
  {
    name: 'data that inflates past 8 MiB is refused as a bomb',
    section: () =>
      deflateSync(Buffer.concat([Buffer.from('{"packages":['), Buffer.alloc(9 * 1024 * 1024, 0x20)])),
    expected: 'invalid',
    reason: /does not inflate to at most 8388608 bytes/,
  },
  {
    name: 'data that is not zlib is invalid',
    section: () => Buffer.from('{"packages":[]}'),
    expected: 'invalid',
    reason: /does not inflate/,
  },
  {
    name: 'JSON that is not audit data is invalid',
    section: () => zjson({ packages: [{ name: 'x' }] }),
    expected: 'invalid',
    reason: /not cargo-auditable data: packages\.0\.version/,
  },
  {
    name: 'text that is not JSON is invalid',
    section: () => deflateSync(Buffer.from('{"packages": [')),
    expected: 'invalid',
    reason: /is not JSON/,
  },
];

describe('cargo-auditable data in a real Rust binary', () => {
  it.each(cases)('$name', async (c) => {
    const buf = c.section === undefined ? plain : await withSection(c.name.replace(/\W+/g, '-'), c.section());
    const summary = readCargoAuditable(buf);
    expect(summary?.kind).toBe(c.expected);
    if (c.reason && summary?.kind === 'invalid') expect(summary.reason).toMatch(c.reason);
  });

  it('finds exactly the bytes objcopy added, where readelf says they are', async () => {
    const section = zjson(AUDIT);
    const buf = await withSection('exact', section);
    const elf = parseElf(buf);
    if (elf === undefined) throw new Error('not ELF');
    expect(sectionBytes(buf, elf, '.dep-v0')).toEqual(section);
    const { stdout } = await run('readelf', ['-SW', path.join(work, 'exact.bin')]);
    const row = /\]\s+\.dep-v0\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(stdout);
    expect(elf.sections.find((s) => s.name === '.dep-v0')).toMatchObject({
      offset: parseInt(row?.[1] ?? '', 16),
      size: parseInt(row?.[2] ?? '', 16),
    });
  });

  it('reports the linked crates as cargo packages, without build-only ones, and corrupt data as a gap', async () => {
    const good = await withSection('good', zjson(AUDIT));
    const bad = await withSection('bad', Buffer.from('not zlib'));
    const { image } = await imageOf([
      { name: 'usr/bin/hello', content: good, mode: 0o755 },
      { name: 'usr/bin/broken', content: bad, mode: 0o755 },
      { name: 'usr/share/hello.data', content: good, mode: 0o644 },
    ]);
    const inv = await buildInventory(image, { analyzers: [rustBinaryAnalyzer] });
    expect(inv.packages.map((p) => [p.purl, p.metadata, p.location.path])).toEqual([
      ['pkg:cargo/cfg-if@1.0.0', { source: 'crates.io' }, 'usr/bin/hello'],
      ['pkg:cargo/forked@0.2.0', { source: 'git' }, 'usr/bin/hello'],
      ['pkg:cargo/hello@0.1.0', { source: 'local', root: 'true' }, 'usr/bin/hello'],
      ['pkg:cargo/log@0.4.20', { source: 'crates.io' }, 'usr/bin/hello'],
    ]);
    expect(inv.gaps).toHaveLength(1);
    expect(inv.gaps[0]).toMatchObject({ analyzer: 'rust-binary', path: 'usr/bin/broken' });
  });
});
