// `npm run bench`: each entry measures a subject against a baseline in the same run,
// alternating them, and reports the median ratio (the machine is shared and noisy, so
// absolute times mean little). Exits 1 when a target is missed.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { median, runSubject, timeShell, type Sample } from './harness.js';

type Entry = {
  readonly name: string;
  readonly baselineLabel: string;
  readonly baseline: () => Promise<Sample>;
  readonly subject: () => Promise<Sample>;
  readonly maxRatio: number;
  readonly maxRssMB: number;
};

const fixtures =
  process.env['PORTCULLIS_FIXTURES'] ?? path.resolve(import.meta.dirname, '..', '..', 'fixtures');
const here = import.meta.dirname;
const rounds = Number(process.env['BENCH_ROUNDS'] ?? '5');

async function debianLayers(): Promise<{ layout: string; layers: string[] }> {
  const layout = path.join(fixtures, 'debian12', 'layout');
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const m = index.manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === 'bookworm');
  if (!m) throw new Error(`no bookworm tag in ${layout}`);
  const blob = (d: string) => path.join(layout, 'blobs', 'sha256', d.slice('sha256:'.length));
  const manifest = JSON.parse(await readFile(blob(m.digest), 'utf8')) as { layers: { digest: string }[] };
  return { layout, layers: manifest.layers.map((l) => blob(l.digest)) };
}

const debian = await debianLayers();
const entries: Entry[] = [
  {
    name: 'layer reader: all layers of Debian 12 minbase',
    baselineLabel: 'gzip -dc LAYER | tar -t',
    baseline: () => timeShell(debian.layers.map((l) => `gzip -dc '${l}' | tar -t >/dev/null`).join(' && ')),
    subject: () => runSubject(path.join(here, 'layer-reader.subject.js'), [`oci:${debian.layout}:bookworm`]),
    maxRatio: 1.3,
    maxRssMB: 150,
  },
  {
    name: 'sbom: CycloneDX of Debian 12 minbase from an OCI layout',
    baselineLabel: 'gzip -dc LAYER | tar -t',
    baseline: () => timeShell(debian.layers.map((l) => `gzip -dc '${l}' | tar -t >/dev/null`).join(' && ')),
    subject: () => runSubject(path.join(here, 'sbom.subject.js'), [`oci:${debian.layout}:bookworm`]),
    maxRatio: 1.2,
    maxRssMB: 200,
  },
];

let failed = false;
const results = [];
for (const e of entries) {
  const base: Sample[] = [];
  const subj: Sample[] = [];
  // One warm-up of each so that page cache state is the same for both.
  await e.baseline();
  await e.subject();
  for (let i = 0; i < rounds; i++) {
    base.push(await e.baseline());
    subj.push(await e.subject());
  }
  const baseMs = median(base.map((s) => s.ms));
  const subjMs = median(subj.map((s) => s.ms));
  const ratio = subjMs / baseMs;
  const peakRss = Math.max(...subj.map((s) => s.maxRssMB ?? 0));
  const ok = ratio <= e.maxRatio && peakRss <= e.maxRssMB;
  failed ||= !ok;
  results.push({
    name: e.name,
    baseline: e.baselineLabel,
    baseMs,
    subjMs,
    ratio,
    peakRss,
    target: `ratio ≤ ${e.maxRatio}, RSS ≤ ${e.maxRssMB} MB`,
    ok,
  });
  console.log(
    `${ok ? 'PASS' : 'FAIL'}  ${e.name}\n      baseline (${e.baselineLabel}): ${baseMs.toFixed(0)} ms  subject: ${subjMs.toFixed(0)} ms  ratio ${ratio.toFixed(2)} (target ≤ ${e.maxRatio})  peak RSS ${peakRss.toFixed(0)} MB (target ≤ ${e.maxRssMB})  [median of ${rounds}]`,
  );
}
console.log(JSON.stringify(results));
process.exitCode = failed ? 1 : 0;
