// Lints every Dockerfile under DIR in this one process (`lint`), or only parses them with
// dockerfile-ast (`parse`, the baseline: the parser the linter is built on). Reading the files
// is not timed; the first pass is, JIT warm-up included, as a CLI run over many files sees it.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { lintDockerfile } from '../src/dockerfile/index.js';
import { reportSubject } from './harness.js';

const [dir, mode] = process.argv.slice(2);
if (dir === undefined || (mode !== 'lint' && mode !== 'parse'))
  throw new Error('usage: dockerfile-lint.subject.js <dir> lint|parse');

// Files named Dockerfile* under `root`, recursively, sorted (as the real-world test finds them).
async function dockerfilesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true })) {
    const p = path.join(root, e.name);
    if (e.isDirectory()) out.push(...(await dockerfilesUnder(p)));
    else if (e.name.startsWith('Dockerfile')) out.push(p);
  }
  return out.sort();
}

const files = await dockerfilesUnder(dir);
const texts = await Promise.all(files.map((f) => readFile(f, 'utf8')));
const start = process.hrtime.bigint();
let count = 0;
for (const [i, text] of texts.entries()) {
  if (mode === 'lint') count += lintDockerfile(text, files[i] ?? '').length;
  else count += DockerfileParser.parse(text).getInstructions().length;
}
const ms = Number(process.hrtime.bigint() - start) / 1e6;
if (files.length === 0 || count === 0) throw new Error(`nothing to ${mode} under ${dir}`);
// A second pass, JIT-compiled: what a long-running process (the server) sees per file.
const warmStart = process.hrtime.bigint();
for (const [i, text] of texts.entries()) {
  if (mode === 'lint') lintDockerfile(text, files[i] ?? '');
  else DockerfileParser.parse(text).getInstructions();
}
const warmMs = Number(process.hrtime.bigint() - warmStart) / 1e6;
reportSubject(ms, { files: files.length, [mode === 'lint' ? 'findings' : 'instructions']: count, warmMs });
