// The secret engine over the corpus in DIR (see secrets-corpus.ts). `engine` runs scanBuffer
// on every file, as the image audit does for file contents; `keywords` is the baseline: one
// case-insensitive regex of all the rules' keywords over the same decoded text, the least any
// keyword-prefiltered scanner must do. Only the scanning is timed, not reading the files.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BUILTIN_SECRET_RULES, scanBuffer } from '../src/secrets/index.js';
import { reportSubject } from './harness.js';
import { CORPUS_KINDS, type CorpusManifest } from './secrets-corpus.js';

const [dir, mode] = process.argv.slice(2);
if (dir === undefined || (mode !== 'engine' && mode !== 'keywords'))
  throw new Error('usage: secrets.subject.js <corpus dir> engine|keywords');
const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as CorpusManifest;
const contents = await Promise.all(manifest.files.map((f) => readFile(path.join(dir, f.name))));

const keywordRe = new RegExp(
  [...new Set(BUILTIN_SECRET_RULES.flatMap((r) => r.keywords))]
    .map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|'),
  'gi',
);
const msByKind = Object.fromEntries(CORPUS_KINDS.map((k) => [k, 0]));
const mbByKind = Object.fromEntries(CORPUS_KINDS.map((k) => [k, 0]));
let missed = 0;
let found = 0;
let extra = 0;
const extraByRule: Record<string, number> = {};
let total = 0;
for (const [i, file] of manifest.files.entries()) {
  const bytes = contents[i];
  if (bytes === undefined) throw new Error(`no content for ${file.name}`);
  const start = process.hrtime.bigint();
  if (mode === 'engine') {
    const findings = scanBuffer(bytes, { path: file.name });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    msByKind[file.kind] = (msByKind[file.kind] ?? 0) + ms;
    total += ms;
    // Every planted secret must be found (else the figure would time a scanner that skips
    // work); findings elsewhere are counted for the record.
    const expected = new Set(file.planted.map((p) => `${p.line} ${p.ruleId}`));
    for (const f of findings) {
      if (expected.delete(`${f.line} ${f.ruleId}`)) found++;
      else {
        extra++;
        extraByRule[f.ruleId] = (extraByRule[f.ruleId] ?? 0) + 1;
      }
    }
    missed += expected.size;
    if (expected.size > 0 && process.env['BENCH_DEBUG'] === '1')
      process.stderr.write(`missed in ${file.name}: ${[...expected].join(', ')}\n`);
  } else {
    const text = new TextDecoder('utf-8').decode(bytes);
    const hits = text.match(keywordRe)?.length ?? 0;
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    msByKind[file.kind] = (msByKind[file.kind] ?? 0) + ms;
    total += ms;
    found += hits;
  }
  mbByKind[file.kind] = (mbByKind[file.kind] ?? 0) + file.bytes / 1024 / 1024;
}
if (mode === 'engine' && missed > 0) throw new Error(`the engine missed ${missed} planted secrets`);
reportSubject(total, {
  mb: manifest.bytes / 1024 / 1024,
  found,
  extra,
  extraByRule,
  mbPerSecondByKind: Object.fromEntries(
    CORPUS_KINDS.map((k) => [k, (mbByKind[k] ?? 0) / ((msByKind[k] ?? 0) / 1000)]),
  ),
});
