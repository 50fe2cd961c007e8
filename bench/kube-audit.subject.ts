// Audits every manifest under the given directories in this one process (`audit`), or only
// loads them (`load`, the baseline: YAML parsing with line positions, which the audit is built
// on). Files that are not Kubernetes manifests, or that the loader refuses (the peers' invalid
// fixtures), are counted and left out of both modes alike. Reading the files is not timed.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { auditBundle, KUBE_RULES, loadManifests, type LoadedObject } from '../src/kube/index.js';
import { reportSubject } from './harness.js';

const [mode, ...dirs] = process.argv.slice(2);
if ((mode !== 'audit' && mode !== 'load') || dirs.length === 0)
  throw new Error('usage: kube-audit.subject.js audit|load <dir>...');

async function manifestsUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true })) {
    const p = path.join(root, e.name);
    if (e.isDirectory()) out.push(...(await manifestsUnder(p)));
    else if (/\.(ya?ml|json)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

const files = (await Promise.all(dirs.map(manifestsUnder))).flat();
const inputs = await Promise.all(files.map(async (file) => ({ file, text: await readFile(file, 'utf8') })));

function loadAll(): { objects: LoadedObject[]; refused: number } {
  const objects: LoadedObject[] = [];
  let refused = 0;
  for (const input of inputs) {
    try {
      objects.push(...loadManifests([input]));
    } catch {
      refused++;
    }
  }
  return { objects, refused };
}

const start = process.hrtime.bigint();
const { objects, refused } = loadAll();
let findings = 0;
// One bundle, as `portcullis audit DIR...` sees it: the RBAC rules resolve bindings across files.
if (mode === 'audit') findings = auditBundle(objects, { rules: KUBE_RULES }).findings.length;
const ms = Number(process.hrtime.bigint() - start) / 1e6;
if (objects.length === 0 || (mode === 'audit' && findings === 0))
  throw new Error(`nothing audited under ${dirs.join(', ')}`);
reportSubject(ms, { files: files.length, refused, objects: objects.length, findings });
