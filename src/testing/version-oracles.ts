// Test-only: the real tools that define each version ordering, driven in batches (one process for
// thousands of pairs), a seeded generator for test inputs, and the osv-scalibr vector files.
// A missing tool is an error, never a skip: the test set-up (scripts/lib.mjs TEST_PACKAGES)
// installs rpm, python3-packaging and libdpkg-perl.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A small deterministic PRNG (mulberry32), so generated cases are the same on every run. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

/** One line of an osv-scalibr `*-versions*.txt` file: `a < b`, `a = b` or `a > b`. */
export type VectorCase = {
  readonly a: string;
  readonly b: string;
  readonly expected: -1 | 0 | 1;
  readonly line: number;
};

/**
 * Reads an osv-scalibr vector file (semantic/testdata): one comparison per line; blank lines and
 * lines starting with `#` or `//` are comments.
 */
export function readVersionVectors(file: string): VectorCase[] {
  const cases: VectorCase[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('//')) return;
    const m = / ([<=>]) /.exec(line);
    if (!m) throw new Error(`${file}:${index + 1}: no " < ", " = " or " > " in ${JSON.stringify(line)}`);
    const op = m[1];
    cases.push({
      a: line.slice(0, m.index),
      b: line.slice(m.index + 3),
      expected: op === '<' ? -1 : op === '=' ? 0 : 1,
      line: index + 1,
    });
  });
  return cases;
}

/** What an oracle said about one pair: whether each side parses, and their order when both do. */
export type OracleAnswer = {
  readonly validA: boolean;
  readonly validB: boolean;
  readonly cmp: number | undefined;
};

function run(tool: string, args: readonly string[], input: string, hint: string): string {
  const r = spawnSync(tool, args, { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error !== undefined) throw new Error(`oracle ${tool} could not run (${r.error.message}); ${hint}`);
  if (r.status !== 0)
    throw new Error(`oracle ${tool} failed (exit ${r.status ?? r.signal ?? '?'}): ${r.stderr}; ${hint}`);
  return r.stdout;
}

function answers(stdout: string, expected: number, tool: string): OracleAnswer[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  if (lines.length !== expected)
    throw new Error(`oracle ${tool} answered ${lines.length} of ${expected} pairs`);
  return lines.map((l) => {
    const [validA, validB, cmp] = JSON.parse(l) as [boolean, boolean, number | undefined];
    return { validA, validB, cmp: cmp ?? undefined };
  });
}

const PERL_DPKG = String.raw`
use strict; use warnings;
use Dpkg::Version;
use JSON::PP;
my $json = JSON::PP->new->utf8->canonical;
while (my $line = <STDIN>) {
  chomp $line;
  my ($a, $b) = @{ $json->decode($line) };
  my $va = version_check($a) ? JSON::PP::true : JSON::PP::false;
  my $vb = version_check($b) ? JSON::PP::true : JSON::PP::false;
  my $c = ($va && $vb) ? version_compare($a, $b) : undef;
  print $json->encode([$va, $vb, $c]), "\n";
}
`;

/** Debian's own Perl implementation (Dpkg::Version from libdpkg-perl): version_check and version_compare. */
export function dpkgPerlOracle(pairs: readonly (readonly [string, string])[]): OracleAnswer[] {
  const input = pairs.map((p) => JSON.stringify(p)).join('\n') + '\n';
  const out = run('perl', ['-e', PERL_DPKG], input, 'install Debian package libdpkg-perl');
  return answers(out, pairs.length, 'perl Dpkg::Version');
}

const SH_DPKG = String.raw`
tab=$(printf '\t')
err=$(mktemp)
while IFS="$tab" read -r a b; do
  dpkg --compare-versions "$a" lt "$b" 2>"$err"; lt=$?
  dpkg --compare-versions "$a" eq "$b" 2>>"$err"; eq=$?
  if [ -s "$err" ]; then warned=true; else warned=false; fi
  echo "$lt $eq $warned"
done
rm -f "$err"
`;

/** What `dpkg --compare-versions` (the C implementation) said about one pair. */
export type DpkgBinaryAnswer = { readonly cmp: number | undefined; readonly complained: boolean };

/**
 * `dpkg --compare-versions`, two runs per pair from one shell loop. `complained` is true when dpkg
 * warned about or rejected either version; `cmp` is undefined when it refused to compare.
 */
export function dpkgBinaryOracle(pairs: readonly (readonly [string, string])[]): DpkgBinaryAnswer[] {
  for (const [a, b] of pairs) {
    if (/[\t\n]/.test(a + b)) throw new Error(`dpkg oracle input may not hold tabs or newlines: ${a} ${b}`);
  }
  const input = pairs.map(([a, b]) => `${a}\t${b}`).join('\n') + '\n';
  const out = run('sh', ['-c', SH_DPKG], input, 'dpkg must be installed');
  const lines = out.split('\n').filter((l) => l !== '');
  if (lines.length !== pairs.length)
    throw new Error(`dpkg answered ${lines.length} of ${pairs.length} pairs`);
  return lines.map((l) => {
    const [lt, eq, warned] = l.split(' ');
    // Exit 0 means the relation holds, 1 that it does not; anything else is an error.
    const ok = (lt === '0' || lt === '1') && (eq === '0' || eq === '1');
    const cmp = !ok ? undefined : lt === '0' ? -1 : eq === '0' ? 0 : 1;
    return { cmp, complained: warned === 'true' || !ok };
  });
}

const LUA_RPM = String.raw`
local input, output = ...
local out = assert(io.open(output, "w"))
for line in io.lines(input) do
  local a, b = line:match("^(.-)\t(.*)$")
  local ok, r = pcall(rpm.vercmp, a, b)
  out:write(ok and tostring(r) or "x", "\n")
end
out:close()
`;

/**
 * rpm 4.18's `rpm.vercmp` (its EVR comparison: rpmverParse + rpmverCmp) over all pairs in one
 * `rpm --eval` Lua call. An entry is undefined where rpm refused the input.
 */
export function rpmOracle(pairs: readonly (readonly [string, string])[]): (number | undefined)[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'rpm-oracle-'));
  try {
    for (const [a, b] of pairs) {
      if (/[\t\n%{}"\\]/.test(a + b))
        throw new Error(`rpm oracle input has a character it cannot pass: ${a} ${b}`);
    }
    const input = path.join(dir, 'pairs.tsv');
    const output = path.join(dir, 'out.txt');
    const script = path.join(dir, 'vercmp.lua');
    writeFileSync(input, pairs.map(([a, b]) => `${a}\t${b}`).join('\n') + '\n');
    writeFileSync(script, LUA_RPM);
    run(
      'rpm',
      ['--eval', `%{lua: assert(loadfile("${script}"))("${input}", "${output}")}`],
      '',
      'install Debian package rpm',
    );
    const lines = readFileSync(output, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    if (lines.length !== pairs.length)
      throw new Error(`rpm answered ${lines.length} of ${pairs.length} pairs`);
    return lines.map((l) => (l === 'x' ? undefined : Math.sign(Number(l))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PY_PACKAGING = String.raw`
import json, sys
from packaging.version import InvalidVersion, Version

def parse(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None

for line in sys.stdin:
    a, b = json.loads(line)
    va, vb = parse(a), parse(b)
    c = None if va is None or vb is None else (va > vb) - (va < vb)
    print(json.dumps([va is not None, vb is not None, c]))
`;

/**
 * Debian's python3-packaging `Version` (run by /usr/bin/python3: the python3 first on PATH may be
 * another install without Debian's modules).
 */
export function pep440Oracle(pairs: readonly (readonly [string, string])[]): OracleAnswer[] {
  const input = pairs.map((p) => JSON.stringify(p)).join('\n') + '\n';
  const out = run(
    '/usr/bin/python3',
    ['-c', PY_PACKAGING],
    input,
    'install Debian package python3-packaging',
  );
  return answers(out, pairs.length, 'python3-packaging');
}

/** The version of Debian's python3-packaging, for messages. */
export function packagingVersion(): string {
  return run(
    '/usr/bin/python3',
    ['-c', 'import packaging; print(packaging.__version__)'],
    '',
    'install python3-packaging',
  ).trim();
}
