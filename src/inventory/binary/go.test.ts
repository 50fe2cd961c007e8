// Real Go programs, built here by Debian's golang-go with no network: a module with one
// vendored dependency (a released version, as the module proxy would have served it) and one
// replaced by a local directory. `go version -m` is the oracle for the module lines and
// `readelf -S` for the section table.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInventory } from '../inventory.js';
import { repoRoot } from '../../testing/fixtures.js';
import { imageOf, type TarSpec } from '../../testing/layer-images.js';
import { parseElf } from './elf.js';
import { goBinaryAnalyzer, goStdlibVersion } from './go.js';
import { parseModInfo, readGoBuildInfo, type GoBinarySummary, type GoBuildInfo } from './gobuildinfo.js';

const run = promisify(execFile);

let work: string;
let goVersion: string;
/** Binary name → bytes. */
const binaries = new Map<string, Buffer>();
/** Binary name → `go version -m` output. */
const oracle = new Map<string, string>();
/** Binary name → `readelf -SW` output. */
const readelf = new Map<string, string>();

const MAIN_GO = `package main

import (
	"fmt"

	"example.com/greet"
	"example.com/local"
)

func main() { fmt.Println(greet.Hello(), local.Name) }
`;
const GO_MOD = `module example.com/hello

go 1.18

require (
	example.com/greet v1.2.3
	example.com/local v0.0.0
)

replace example.com/local => ./local
`;
const MODULES_TXT = `# example.com/greet v1.2.3
## explicit
example.com/greet
# example.com/local v0.0.0 => ./local
## explicit
example.com/local
# example.com/local => ./local
`;

/** Builds variants: native, three other ELF classes and byte orders, stripped, trimmed. */
const VARIANTS: readonly { name: string; env: Record<string, string>; flags: readonly string[] }[] = [
  { name: 'amd64', env: {}, flags: [] },
  { name: 'stripped', env: {}, flags: ['-trimpath', '-ldflags=-s -w'] },
  { name: '386', env: { GOARCH: '386', CGO_ENABLED: '0' }, flags: [] },
  { name: 'ppc64', env: { GOARCH: 'ppc64', CGO_ENABLED: '0' }, flags: [] },
  { name: 'mips', env: { GOARCH: 'mips', CGO_ENABLED: '0' }, flags: [] },
];

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'portcullis-go-'));
  const src = path.join(work, 'src');
  const files: Record<string, string> = {
    'main.go': MAIN_GO,
    'go.mod': GO_MOD,
    'vendor/modules.txt': MODULES_TXT,
    'vendor/example.com/greet/greet.go': 'package greet\n\nfunc Hello() string { return "hello" }\n',
    'vendor/example.com/local/local.go': 'package local\n\nconst Name = "local"\n',
    'local/go.mod': 'module example.com/local\n\ngo 1.18\n',
    'local/local.go': 'package local\n\nconst Name = "local"\n',
  };
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(src, name)), { recursive: true });
    await writeFile(path.join(src, name), text);
  }
  // No module proxy here: the dependency is vendored and the installed toolchain is used as it
  // is. The build cache lives with the other test caches in .cache/ (never the user's), so the
  // cross-compiled standard libraries are built once per checkout, not once per run.
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: work,
    GOCACHE: path.join(repoRoot, '.cache', 'go-build'),
    GOPATH: path.join(work, 'gopath'),
    GOFLAGS: '-mod=vendor',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    GOTELEMETRY: 'off',
  };
  goVersion = (await run('go', ['env', 'GOVERSION'], { env, cwd: src })).stdout.trim();
  for (const v of VARIANTS) {
    const out = path.join(work, `hello-${v.name}`);
    await run('go', ['build', ...v.flags, '-o', out, '.'], { env: { ...env, ...v.env }, cwd: src });
    binaries.set(v.name, await readFile(out));
    oracle.set(v.name, (await run('go', ['version', '-m', out], { env })).stdout);
    readelf.set(v.name, (await run('readelf', ['-SW', out])).stdout);
  }
}, 600_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function binary(name: string): Buffer {
  const b = binaries.get(name);
  if (b === undefined) throw new Error(`no binary ${name}`);
  return b;
}

/** `mod`, `dep` and `=>` lines of `go version -m`, fields trimmed of empty trailing ones. */
function oracleModuleLines(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.replace(/^\t/, '').split('\t'))
    .filter((f) => f[0] === 'mod' || f[0] === 'dep' || f[0] === '=>')
    .map((f) => {
      while (f.length > 0 && f[f.length - 1] === '') f.pop();
      return f;
    });
}

/** The same lines rebuilt from what the decoder returned. */
function decodedModuleLines(info: GoBuildInfo): string[][] {
  const out: string[][] = [];
  const add = (key: string, m: { path: string; version: string; sum?: string }): void => {
    out.push([key, m.path, m.version, ...(m.sum === undefined ? [] : [m.sum])].filter((x) => x !== ''));
  };
  for (const [key, m] of [
    ...(info.main ? [['mod', info.main] as const] : []),
    ...info.deps.map((d) => ['dep', d] as const),
  ]) {
    add(key, m);
    if (m.replace) add('=>', m.replace);
  }
  return out;
}

function goInfo(summary: GoBinarySummary | undefined): GoBuildInfo {
  if (summary?.kind !== 'go') throw new Error(`not decoded: ${JSON.stringify(summary)}`);
  return summary.info;
}

describe('Go build info of real binaries', () => {
  it.each(VARIANTS.map((v) => v.name))('%s: version and module lines equal go version -m', (name) => {
    const info = goInfo(readGoBuildInfo(binary(name)));
    expect(info.goVersion).toBe(goVersion);
    expect(oracle.get(name)?.split('\n')[0]).toMatch(new RegExp(`: ${info.goVersion}$`));
    expect(decodedModuleLines(info)).toEqual(oracleModuleLines(oracle.get(name) ?? ''));
    expect(info.path).toBe('example.com/hello');
    expect(info.main).toEqual({ path: 'example.com/hello', version: '(devel)' });
    expect(info.deps).toEqual([
      { path: 'example.com/greet', version: 'v1.2.3' },
      { path: 'example.com/local', version: 'v0.0.0', replace: { path: './local', version: '(devel)' } },
    ]);
  });

  it.each(VARIANTS.map((v) => v.name))('%s: section table equals readelf -S', (name) => {
    const buf = binary(name);
    const elf = parseElf(buf);
    // readelf -SW rows: "  [Nr] Name Type Address Off Size …", offsets and sizes in hex.
    const rows = (readelf.get(name) ?? '').split('\n').flatMap((l) => {
      // Section 0 has an empty name, so its row starts with the type.
      const m =
        /^\s*\[\s*\d+\]\s+(?:(\S+)\s+)?([A-Z][A-Z_0-9+x]*)\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(l);
      if (!m) return [];
      return [
        { name: m[1] ?? '', type: m[2], off: parseInt(m[3] ?? '', 16), size: parseInt(m[4] ?? '', 16) },
      ];
    });
    expect(rows.length).toBeGreaterThan(5);
    expect(elf?.sections.map((s) => s.name)).toEqual(rows.map((r) => r.name));
    for (const [i, r] of rows.entries()) {
      if (r.type === 'NOBITS' || r.type === 'NULL') continue;
      expect(elf?.sections[i], r.name).toMatchObject({ offset: r.off, size: r.size });
    }
    expect(elf?.bits).toBe(name === '386' || name === 'mips' ? 32 : 64);
    expect(elf?.littleEndian).toBe(!(name === 'ppc64' || name === 'mips'));
  });

  it('finds the build info in the data segment when the section headers are gone', () => {
    const buf = Buffer.from(binary('amd64'));
    // e_shoff, e_shnum and e_shstrndx of an ELF64 header: as if a packer dropped the table.
    buf.writeBigUInt64LE(0n, 0x28);
    buf.writeUInt16LE(0, 0x3c);
    buf.writeUInt16LE(0, 0x3e);
    expect(parseElf(buf)?.sections).toEqual([]);
    expect(goInfo(readGoBuildInfo(buf)).goVersion).toBe(goVersion);
  });

  it('searches the whole file when the program headers are damaged too', () => {
    const buf = Buffer.from(binary('amd64'));
    buf.writeBigUInt64LE(0n, 0x28);
    buf.writeBigUInt64LE(0xffff_ffff_ffffn, 0x20);
    expect(goInfo(readGoBuildInfo(buf)).deps).toHaveLength(2);
  });
});

/** Offset of the build-info header in a binary. */
function headerAt(buf: Buffer): number {
  const at = buf.indexOf(Buffer.from('\xff Go buildinf:', 'latin1'));
  if (at < 0) throw new Error('no build info');
  return at;
}

type Corruption = {
  readonly name: string;
  readonly corrupt: (buf: Buffer) => Buffer;
  readonly expected: GoBinarySummary['kind'] | undefined;
  readonly reason?: RegExp;
};

const corruptions: Corruption[] = [
  {
    name: 'a pre-1.18 header (no inline strings flag) is reported as unsupported',
    corrupt: (b) => {
      b[headerAt(b) + 15] = 0;
      return b;
    },
    expected: 'unsupported',
    reason: /^Go < 1\.18 binary: not supported$/,
  },
  {
    name: 'a modinfo length past the end of the data is invalid',
    corrupt: (b) => {
      const at = headerAt(b) + 32;
      const vlen = b[at] ?? 0;
      // A 5-byte varint for 2^31 at the modinfo length.
      Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]).copy(b, at + 1 + vlen);
      return b;
    },
    expected: 'invalid',
    reason: /modinfo of 2147483648 bytes is over the/,
  },
  {
    name: 'a never-ending varint is invalid',
    corrupt: (b) => {
      b.fill(0xff, headerAt(b) + 32, headerAt(b) + 48);
      return b;
    },
    expected: 'invalid',
    reason: /not a small varint/,
  },
  {
    name: 'a bad pointer size is invalid',
    corrupt: (b) => {
      b[headerAt(b) + 14] = 3;
      return b;
    },
    expected: 'invalid',
  },
  {
    name: 'a file cut inside the build info is invalid',
    corrupt: (b) => b.subarray(0, headerAt(b) + 40),
    expected: 'invalid',
  },
  {
    name: 'a file cut inside the ELF header is not taken for Go',
    corrupt: (b) => b.subarray(0, 40),
    expected: undefined,
  },
  {
    name: 'a file that is not ELF is not taken for Go',
    corrupt: (b) => Buffer.concat([Buffer.from('#!/bin/sh\n'), b]),
    expected: undefined,
  },
];

describe('Go build info of damaged binaries', () => {
  it.each(corruptions)('$name', (c) => {
    const summary = readGoBuildInfo(c.corrupt(Buffer.from(binary('amd64'))));
    expect(summary?.kind).toBe(c.expected);
    if (c.reason && summary !== undefined && summary.kind !== 'go') expect(summary.reason).toMatch(c.reason);
  });

  it('never throws on random bytes after an ELF magic', () => {
    let seed = 42;
    const next = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff;
    for (let i = 0; i < 200; i++) {
      const buf = Buffer.alloc(4096 + i * 13, 0);
      for (let j = 0; j < buf.length; j++) buf[j] = next();
      Buffer.from('\x7fELF\x02\x01', 'latin1').copy(buf);
      expect(() => readGoBuildInfo(buf)).not.toThrow();
    }
  });
});

describe('Go modinfo and versions', () => {
  it.each([
    ['go1.21.3', 'v1.21.3'],
    ['go1.20', 'v1.20.0'],
    ['go1.21rc2', 'v1.21.0-rc.2'],
    ['go1.19beta1', 'v1.19.0-beta.1'],
    ['go1.22.0 X:boringcrypto', 'v1.22.0'],
    ['devel go1.23-abcdef Tue Jan 2', undefined],
    ['gccgo', undefined],
  ])('the stdlib version of %s is %s', (go, expected) => {
    expect(goStdlibVersion(go)).toBe(expected);
  });

  it('reads a replaced main module, sums and build settings', () => {
    const info = parseModInfo(
      [
        'path\texample.com/cmd/tool',
        'mod\texample.com/cmd\tv1.0.0\th1:abc=',
        '=>\texample.com/fork\tv1.0.1\th1:def=',
        'dep\tgolang.org/x/text\tv0.14.0\th1:ghi=',
        'build\t-ldflags=-X main.secret=x',
        'build\tvcs.revision=0123abcd',
        'unknown\tline',
        '',
      ].join('\n'),
    );
    expect(info.main).toEqual({
      path: 'example.com/cmd',
      version: 'v1.0.0',
      sum: 'h1:abc=',
      replace: { path: 'example.com/fork', version: 'v1.0.1', sum: 'h1:def=' },
    });
    expect(info.deps).toEqual([{ path: 'golang.org/x/text', version: 'v0.14.0', sum: 'h1:ghi=' }]);
    expect(info.settings['vcs.revision']).toBe('0123abcd');
  });

  it('rejects a replacement line that follows no module', () => {
    expect(() => parseModInfo('path\tx\n=>\ty\tv1.0.0\n')).toThrow(/follows no module/);
  });
});

describe('the Go binary analyzer on an image', () => {
  const layer = (mode: number): TarSpec[] => [
    { name: 'usr/local/bin/hello', content: binary('amd64'), mode },
    { name: 'usr/local/bin/script', content: '#!/bin/sh\necho hi\n'.padEnd(5000, '#'), mode: 0o755 },
    { name: 'opt/hello.copy', content: binary('stripped'), mode: 0o644 },
    { name: 'usr/bin/hello', type: 'symlink', linkname: '../local/bin/hello' },
  ];

  it('reports stdlib, the main module and the dependencies of each executable Go binary', async () => {
    const { image } = await imageOf(layer(0o755));
    const inv = await buildInventory(image, { analyzers: [goBinaryAnalyzer] });
    expect(inv.gaps).toEqual([]);
    const stdlib = goStdlibVersion(goVersion) ?? '';
    expect(inv.packages.map((p) => [p.name, p.version, p.purl, p.location.path])).toEqual([
      ['example.com/greet', 'v1.2.3', 'pkg:golang/example.com/greet@v1.2.3', 'usr/local/bin/hello'],
      ['example.com/hello', '(devel)', 'pkg:golang/example.com/hello', 'usr/local/bin/hello'],
      ['example.com/local', 'v0.0.0', 'pkg:golang/example.com/local@v0.0.0', 'usr/local/bin/hello'],
      ['stdlib', stdlib, `pkg:golang/stdlib@${stdlib}`, 'usr/local/bin/hello'],
    ]);
    const byName = new Map(inv.packages.map((p) => [p.name, p]));
    expect(byName.get('example.com/hello')?.metadata).toMatchObject({
      main: 'true',
      mainPackage: 'example.com/hello',
      goVersion,
      GOOS: 'linux',
      GOARCH: 'amd64',
    });
    expect(byName.get('example.com/hello')?.metadata).not.toHaveProperty('CGO_CFLAGS');
    expect(byName.get('example.com/local')?.metadata).toMatchObject({ replace: './local' });
    expect(byName.get('stdlib')?.metadata).toEqual({ goVersion });
    expect(byName.get('stdlib')?.location.layerIndex).toBe(0);
  });

  it('reports nothing once a later layer deletes the binary, and nothing for non-executables', async () => {
    const { image } = await imageOf(layer(0o755), [{ name: 'usr/local/bin/.wh.hello', content: '' }]);
    const inv = await buildInventory(image, { analyzers: [goBinaryAnalyzer] });
    expect(inv.packages).toEqual([]);
  });

  it('reports an unsupported binary as a gap', async () => {
    const old = Buffer.from(binary('amd64'));
    old[headerAt(old) + 15] = 0;
    const { image } = await imageOf([{ name: 'app', content: old, mode: 0o755 }]);
    const inv = await buildInventory(image, { analyzers: [goBinaryAnalyzer] });
    expect(inv.packages).toEqual([]);
    expect(inv.gaps).toEqual([
      { analyzer: 'go-binary', path: 'app', reason: 'Go < 1.18 binary: not supported' },
    ]);
  });
});
