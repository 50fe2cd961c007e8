// Test-only: golang.org/x/mod/semver, the package the go command orders module versions with, as
// an oracle. It needs no network: Debian's golang-go ships the package in GOROOT, vendored for
// cmd/go (src/cmd/vendor/golang.org/x/mod/semver), and a throwaway module that replaces
// golang.org/x/mod with a directory linking to it builds offline. golang-go is in the test
// set-up's package list (scripts/lib.mjs); a missing `go` is an error, never a skip.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './fixtures.js';

/** What x/mod/semver said about one pair: IsValid for each side, and Compare. */
export type GoSemverAnswer = { readonly validA: boolean; readonly validB: boolean; readonly cmp: number };

const MAIN_GO = `package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		p := strings.SplitN(in.Text(), "\\t", 2)
		fmt.Fprintln(out, semver.IsValid(p[0]), semver.IsValid(p[1]), semver.Compare(p[0], p[1]))
	}
}
`;

function goEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOPROXY: 'off',
    GOFLAGS: '-mod=mod',
    GOWORK: 'off',
    GOSUMDB: 'off',
    GOTOOLCHAIN: 'local',
    GOCACHE: path.join(repoRoot, '.cache', 'go-build'),
    ...extra,
  };
}

/** Runs x/mod/semver's IsValid and Compare over all pairs in one Go process. */
export function goSemverOracle(pairs: readonly (readonly [string, string])[]): GoSemverAnswer[] {
  for (const [a, b] of pairs) {
    if (/[\t\n]/.test(a + b)) throw new Error(`go oracle input may not hold tabs or newlines: ${a} ${b}`);
  }
  let goroot: string;
  try {
    goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8', env: goEnv({}) }).trim();
  } catch (err) {
    throw new Error(`the go oracle needs the go command (Debian package golang-go): ${String(err)}`);
  }
  const vendored = path.join(goroot, 'src', 'cmd', 'vendor', 'golang.org', 'x', 'mod', 'semver');
  if (!existsSync(path.join(vendored, 'semver.go')))
    throw new Error(`no vendored x/mod/semver at ${vendored}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'go-semver-oracle-'));
  try {
    const xmod = path.join(dir, 'xmod');
    const prog = path.join(dir, 'oracle');
    mkdirSync(xmod);
    mkdirSync(prog);
    writeFileSync(path.join(xmod, 'go.mod'), 'module golang.org/x/mod\n\ngo 1.17\n');
    symlinkSync(vendored, path.join(xmod, 'semver'));
    writeFileSync(
      path.join(prog, 'go.mod'),
      'module oracle\n\ngo 1.17\n\nrequire golang.org/x/mod v0.0.0\n\nreplace golang.org/x/mod => ../xmod\n',
    );
    writeFileSync(path.join(prog, 'main.go'), MAIN_GO);
    const r = spawnSync('go', ['run', '.'], {
      cwd: prog,
      input: pairs.map(([a, b]) => `${a}\t${b}`).join('\n') + '\n',
      encoding: 'utf8',
      env: goEnv({}),
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error !== undefined) throw new Error(`go oracle could not run: ${r.error.message}`);
    if (r.status !== 0)
      throw new Error(`go oracle failed (exit ${String(r.status ?? r.signal)}): ${r.stderr}`);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    if (lines.length !== pairs.length)
      throw new Error(`go oracle answered ${lines.length} of ${pairs.length} pairs`);
    return lines.map((l) => {
      const [validA, validB, cmp] = l.split(' ');
      return { validA: validA === 'true', validB: validB === 'true', cmp: Number(cmp) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
