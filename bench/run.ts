// `npm run bench`: each entry measures a subject against a baseline in the same run,
// alternating them, and reports the median ratio (the machine is shared and noisy, so
// absolute times mean little). Exits 1 when a target is missed.
// BENCH_ROUNDS=N sets the rounds (default 5); BENCH_ONLY=TEXT[,TEXT...] runs only the entries
// whose name contains one of the TEXTs (and imports the vulnerability database only when a scan entry runs).
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { median, runSubject, subjectOutput, timeFirstOutput, timeShell, type Sample } from './harness.js';
import { writeSecretsCorpus } from './secrets-corpus.js';
import { startSignedImageRegistry, type SignedImageRegistry } from './signing-registry.js';
import { startAdmissionBench, type AdmissionBench } from './admission-servers.js';
import {
  manifestHeadLoad,
  startBenchRegistries,
  timePushPull,
  type BenchRegistries,
  type BenchRegistry,
} from './registry-servers.js';
import { layoutDescriptor } from '../src/testing/oci-images.js';

type Entry = {
  readonly name: string;
  readonly baselineLabel: string;
  readonly baseline: () => Promise<Sample>;
  readonly subject: () => Promise<Sample>;
  readonly maxRatio: number;
  /** A cap on the subject's peak RSS; absent where the subject is not a Node script that reports it. */
  readonly maxRssMB?: number;
  /** An absolute cap on the subject's median, where the ratio alone is not the target. */
  readonly maxMs?: number;
  /** Rounds for this entry when it needs more than BENCH_ROUNDS (cheap, noisy subjects). */
  readonly rounds?: number;
  /** The entry reads the vulnerability database the run imports first. */
  readonly needsDb?: boolean;
  /** Printed after the result: what else the entry wants to show, from the medians and samples. */
  readonly note?: (r: { baseMs: number; subjMs: number; base: Sample[]; subj: Sample[] }) => Promise<string>;
  /** Why the entry fails whatever its times (errors under load, say), or undefined. */
  readonly failure?: (r: { base: Sample[]; subj: Sample[] }) => string | undefined;
};

/** Bytes of the files directly in `dir`. */
async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name))).size;
  return total;
}

const fixtures =
  process.env['PORTCULLIS_FIXTURES'] ?? path.resolve(import.meta.dirname, '..', '..', 'fixtures');
const here = import.meta.dirname;
const rounds = Number(process.env['BENCH_ROUNDS'] ?? '5');
const only = process.env['BENCH_ONLY'];

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
const shared =
  process.env['PORTCULLIS_SHARED_DATA'] ??
  path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const scanDb = path.join(os.tmpdir(), `portcullis-bench-${process.pid}.db`);
const scanCacheDir = path.join(os.tmpdir(), `portcullis-bench-scan-cache-${process.pid}`);
const scanSubject = path.join(here, 'scan.subject.js');
const importSubject = path.join(here, 'db-import.subject.js');
const feeds: [string, string[]][] = [
  ['osv-go', [path.join(shared, 'osv-go', 'golang-vulndb-osv.tar.gz')]],
  ['osv-pypi', [path.join(shared, 'osv-pypi', 'pypa-advisory-database-vulns.tar.gz')]],
  ['osv-crates', [path.join(shared, 'osv-crates', 'rustsec-osv.tar.gz')]],
  [
    'debian DSA+DLA',
    [
      path.join(shared, 'debian-tracker', 'DSA-list.txt'),
      path.join(shared, 'debian-tracker', 'DLA-list.txt'),
    ],
  ],
  ['alpine secdb', [path.join(shared, 'alpine-secdb')]],
];
// Database import figures (no target: reported for the record), then the database the scan
// entries use, holding every staged feed.
async function importDatabases(): Promise<void> {
  for (const [name, paths] of only === undefined ? feeds : []) {
    const r = JSON.parse(
      await subjectOutput(importSubject, [`${scanDb}-${name.replace(/\W+/g, '_')}`, ...paths]),
    ) as {
      ms: number;
      sizeMB: number;
      records: number;
    };
    console.log(
      `FIGURE  db import ${name}: ${r.records} records in ${r.ms.toFixed(0)} ms, ${r.sizeMB.toFixed(1)} MiB`,
    );
    await rm(`${scanDb}-${name.replace(/\W+/g, '_')}`, { force: true });
  }
  {
    const r = JSON.parse(await subjectOutput(importSubject, [scanDb, ...feeds.flatMap(([, p]) => p)])) as {
      ms: number;
      sizeMB: number;
      records: number;
      maxRssMB: number;
    };
    console.log(
      `FIGURE  db import, all staged feeds: ${r.records} records in ${r.ms.toFixed(0)} ms, ${r.sizeMB.toFixed(1)} MiB, peak RSS ${r.maxRssMB.toFixed(0)} MB`,
    );
  }
}
const lintSubject = path.join(here, 'dockerfile-lint.subject.js');
const kubeAuditSubject = path.join(here, 'kube-audit.subject.js');
const kubeManifestDirs = [path.join(shared, 'k8s-manifests'), path.join(shared, 'kyverno-policies')];
const realWorld = path.join(shared, 'dockerfile-lint', 'real-world');
// The bench build of the CLI: the same compiler settings as `npm run build`'s dist/.
const cliMain = path.join(here, '..', 'src', 'cli', 'main.js');
const secretsSubject = path.join(here, 'secrets.subject.js');
const scratch = await mkdtemp(path.join(os.tmpdir(), 'portcullis-bench-'));
let smallDockerfilePath: string | undefined;
/** A short Dockerfile with findings, so that lint has something to print. */
async function smallDockerfile(): Promise<string> {
  if (smallDockerfilePath === undefined) {
    smallDockerfilePath = path.join(scratch, 'Dockerfile');
    await writeFile(
      smallDockerfilePath,
      'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD ["node", "server.js"]\n',
    );
  }
  return smallDockerfilePath;
}
let secretsCorpusDir: string | undefined;
/** ~100 MiB of mixed text with planted secrets, written once per run. */
async function secretsCorpus(): Promise<string> {
  if (secretsCorpusDir === undefined) {
    const dir = path.join(scratch, 'secrets-corpus');
    const m = await writeSecretsCorpus(dir, 100 * 1024 * 1024);
    console.log(`FIGURE  secrets corpus: ${m.files.length} files, ${(m.bytes / 1024 / 1024).toFixed(1)} MiB`);
    secretsCorpusDir = dir;
  }
  return secretsCorpusDir;
}
let scanCacheFilled = false;
const layerCacheDir = path.join(os.tmpdir(), `portcullis-bench-layer-cache-${process.pid}`);
const inventoryCacheSubject = path.join(here, 'inventory-cache.subject.js');
const debianTarget = `oci:${debian.layout}:bookworm`;
let layerCacheFilled = false;
let signedRegistry: SignedImageRegistry | undefined;
const verifySubjectPath = path.join(here, 'verify.subject.js');
/** N verification calls in one process (see verify.subject.ts), against a registry started once. */
async function verifySubject(mode: 'head' | 'cold' | 'warm'): Promise<Sample> {
  signedRegistry ??= await startSignedImageRegistry();
  const r = signedRegistry;
  return runSubject(verifySubjectPath, [r.reference, r.pinned, r.publicKeyPath, mode, '200']);
}
let admissionBench: AdmissionBench | undefined;
const admissionSubject = path.join(here, 'admission.subject.js');
// The issue's load: validating requests at a fixed 500 requests/s (autocannon's overallRate).
const ADMISSION_RATE = 500;
const admissionSeconds = Number(process.env['BENCH_ADMISSION_SECONDS'] ?? '5');
/**
 * One autocannon run (admission.subject.ts) against the endpoint `pick` chooses, over
 * `connections` keep-alive connections; the servers start once.
 *
 * autocannon releases each connection's share of the rate at the start of every second, and a
 * connection waits for each answer before its next request. With one connection the 500
 * requests go one after the other (no request waits for another, as with pod creations spread
 * over the second, which keep well under one request in flight) and the rate is met only if
 * the server keeps up; with ten, each second starts with a burst of ten requests in flight.
 */
async function admissionLoad(pick: (b: AdmissionBench) => string, connections: number): Promise<Sample> {
  signedRegistry ??= await startSignedImageRegistry();
  admissionBench ??= await startAdmissionBench(signedRegistry, shared, scratch);
  const b = admissionBench;
  return runSubject(admissionSubject, [
    pick(b),
    b.bodyPath,
    String(ADMISSION_RATE),
    String(admissionSeconds),
    String(connections),
  ]);
}
const detailMedian = (xs: Sample[], key: string): number =>
  median(xs.map((x) => Number(x.detail?.[key] ?? NaN)));
const detailSum = (xs: Sample[], key: string): number =>
  xs.reduce((n, x) => n + Number(x.detail?.[key] ?? 0), 0);
/**
 * Fails the entry on any error, timeout or non-2xx answer, in the baseline's runs or the
 * subject's, and when the subject did not keep up with the rate (95% of it).
 */
function admissionFailure({ base, subj }: { base: Sample[]; subj: Sample[] }): string | undefined {
  const kinds = ['errors', 'timeouts', 'non2xx'];
  const bad = (xs: Sample[]) => kinds.map((k) => `${k} ${detailSum(xs, k)}`).join(', ');
  const total = (xs: Sample[]) => kinds.reduce((n, k) => n + detailSum(xs, k), 0);
  const problems: string[] = [];
  if (total(base) + total(subj) > 0)
    problems.push(`failed requests: subject ${bad(subj)}; baseline ${bad(base)}`);
  const rate = Math.min(...subj.map((x) => Number(x.detail?.['ratePerSecond'] ?? 0)));
  if (rate < ADMISSION_RATE * 0.95)
    problems.push(`the subject answered ${rate.toFixed(0)}/s in its slowest run`);
  return problems.length === 0 ? undefined : problems.join('; ');
}
function admissionNote({ base, subj }: { base: Sample[]; subj: Sample[] }): Promise<string> {
  const line = (xs: Sample[]) =>
    `p50 ${detailMedian(xs, 'p50Ms').toFixed(2)} ms, p99 ${detailMedian(xs, 'p99Ms').toFixed(2)} ms, max ${detailMedian(xs, 'maxMs').toFixed(2)} ms, ${detailMedian(xs, 'ratePerSecond').toFixed(0)} answered/s`;
  const p50Ratio = detailMedian(subj, 'p50Ms') / detailMedian(base, 'p50Ms');
  const stats = admissionBench?.factStats();
  return Promise.resolve(
    `subject ${line(subj)}; baseline ${line(base)}; p50 ratio ${p50Ratio.toFixed(2)}; ` +
      `over all runs: subject ${detailSum(subj, 'answered')} answered, ${detailSum(subj, 'errors')} errors, ${detailSum(subj, 'timeouts')} timeouts, ${detailSum(subj, 'non2xx')} non-2xx; ` +
      `baseline ${detailSum(base, 'answered')} answered, ${detailSum(base, 'errors')} errors, ${detailSum(base, 'non2xx')} non-2xx` +
      (stats === undefined
        ? ''
        : `; signature FactSource: ${JSON.stringify(stats.signature)}, lookup errors ${JSON.stringify(stats.lookupErrors)}`),
  );
}
/** An admission load entry: the webhook endpoint against the baseline, both at 500 requests/s. */
function admissionEntry(e: {
  readonly what: string;
  readonly endpoint: (b: AdmissionBench) => string;
  readonly connections: number;
  readonly maxRatio: number;
  readonly maxMs?: number;
}): Entry {
  return {
    name: `admission webhook: validating at ${ADMISSION_RATE} requests/s, ${e.what} (latency p99)`,
    baselineLabel: `minimal HTTPS fastify endpoint parsing the same body, fixed AdmissionReview, ${e.connections} connection(s): p99`,
    baseline: () => admissionLoad((b) => b.baselineUrl, e.connections),
    subject: () => admissionLoad(e.endpoint, e.connections),
    maxRatio: e.maxRatio,
    ...(e.maxMs === undefined ? {} : { maxMs: e.maxMs }),
    failure: admissionFailure,
    note: admissionNote,
  };
}
let headRegistries: BenchRegistries | undefined;
let pushPullRegistries: BenchRegistries | undefined;
async function debianImage(): Promise<{ layout: string; tag: string; digest: string }> {
  const { digest } = await layoutDescriptor(debian.layout, 'bookworm');
  return { layout: debian.layout, tag: 'bookworm', digest };
}
const registrySubject = path.join(here, 'registry.subject.js');
// Manifest HEADs at a fixed rate on keep-alive connections: a busy registry (many nodes checking
// their image's tag), within what ours serves on 2 shared CPUs.
const REGISTRY_HEAD_RATE = 1000;
const REGISTRY_HEAD_CONNECTIONS = 10;
async function registryHead(pick: (r: BenchRegistries) => BenchRegistry | undefined): Promise<Sample> {
  headRegistries ??= await startBenchRegistries(cliMain, scratch, {
    seed: await debianImage(),
    withoutAuth: true,
  });
  const reg = pick(headRegistries);
  if (reg === undefined) throw new Error('that registry was not started');
  return manifestHeadLoad(
    reg,
    'bookworm',
    {
      subject: registrySubject,
      rate: REGISTRY_HEAD_RATE,
      seconds: Number(process.env['BENCH_REGISTRY_SECONDS'] ?? '5'),
      connections: REGISTRY_HEAD_CONNECTIONS,
    },
    scratch,
  );
}
async function registryPushPull(pick: (r: BenchRegistries) => BenchRegistry): Promise<Sample> {
  pushPullRegistries ??= await startBenchRegistries(cliMain, scratch);
  return timePushPull(pick(pushPullRegistries), await debianImage(), scratch);
}
/** A manifest HEAD load entry: ours (Bearer token) against one of the distribution registries. */
function registryHeadEntry(e: {
  readonly against: string;
  readonly baseline: (r: BenchRegistries) => BenchRegistry | undefined;
  readonly maxRatio: number;
}): Entry {
  const kinds = ['errors', 'timeouts', 'non200'];
  const failures = (xs: Sample[]) => kinds.map((k) => `${k} ${detailSum(xs, k)}`).join(', ');
  const line = (xs: Sample[]) =>
    `${detailMedian(xs, 'ratePerSecond').toFixed(0)} answered/s, p50 ${detailMedian(xs, 'p50Ms').toFixed(2)} ms, p99 ${detailMedian(xs, 'p99Ms').toFixed(2)} ms, max ${detailMedian(xs, 'maxMs').toFixed(2)} ms`;
  return {
    name: `registry: manifest HEAD at ${REGISTRY_HEAD_RATE} requests/s on ${REGISTRY_HEAD_CONNECTIONS} connections, ours with authentication, against ${e.against} (latency p99)`,
    baselineLabel: `${e.against}: p99`,
    baseline: () => registryHead(e.baseline),
    subject: () => registryHead((r) => r.ours),
    maxRatio: e.maxRatio,
    // Any failed request fails the entry, and so does ours not keeping up with the rate.
    failure: ({ base, subj }) => {
      const problems: string[] = [];
      if (kinds.some((k) => detailSum(base, k) + detailSum(subj, k) > 0))
        problems.push(`failed requests: ours ${failures(subj)}; baseline ${failures(base)}`);
      const rate = Math.min(...subj.map((x) => Number(x.detail?.['ratePerSecond'] ?? 0)));
      // 90%: autocannon counts its ramp-up and wind-down in the duration.
      if (rate < REGISTRY_HEAD_RATE * 0.9)
        problems.push(`ours answered ${rate.toFixed(0)}/s in its slowest run`);
      return problems.length === 0 ? undefined : problems.join('; ');
    },
    note: ({ base, subj }) =>
      Promise.resolve(
        `ours (Bearer token from /token) ${line(subj)}; baseline ${line(base)}; ` +
          `requests/s ratio ${(detailMedian(subj, 'ratePerSecond') / detailMedian(base, 'ratePerSecond')).toFixed(2)}, p50 ratio ${(detailMedian(subj, 'p50Ms') / detailMedian(base, 'p50Ms')).toFixed(2)}`,
      ),
  };
}
const p95Of = (xs: Sample[]): string =>
  `${median(xs.map((x) => Number(x.detail?.['p95Ms'] ?? 0))).toFixed(2)} ms`;
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
  {
    name: 'scan (cold): Debian 12 from an OCI layout, all staged feeds, empty caches',
    baselineLabel: 'gzip -dc LAYER | tar -t',
    baseline: () => timeShell(debian.layers.map((l) => `gzip -dc '${l}' | tar -t >/dev/null`).join(' && ')),
    subject: () => runSubject(scanSubject, [debianTarget, scanDb, `${scanCacheDir}-cold`, 'cold']),
    maxRatio: 1.5,
    maxRssMB: 300,
    needsDb: true,
  },
  {
    name: 'scan (warm): the same image again, caches filled',
    baselineLabel: 'cold scan',
    baseline: () => runSubject(scanSubject, [debianTarget, scanDb, `${scanCacheDir}-cold`, 'cold']),
    subject: async () => {
      if (!scanCacheFilled) {
        await runSubject(scanSubject, [debianTarget, scanDb, scanCacheDir, 'cold']);
        scanCacheFilled = true;
      }
      return runSubject(scanSubject, [debianTarget, scanDb, scanCacheDir, 'warm']);
    },
    maxRatio: 0.1,
    maxRssMB: 300,
    maxMs: 500,
    needsDb: true,
  },
  {
    name: 'warm inventory of Debian 12 (layer cache)',
    baselineLabel: 'cold inventory, empty layer cache',
    baseline: () => runSubject(inventoryCacheSubject, [debianTarget, `${layerCacheDir}-cold`, 'cold']),
    subject: async () => {
      if (!layerCacheFilled) {
        await runSubject(inventoryCacheSubject, [debianTarget, layerCacheDir, 'cold']);
        layerCacheFilled = true;
      }
      return runSubject(inventoryCacheSubject, [debianTarget, layerCacheDir, 'warm']);
    },
    // A warm run opens the image and loads the cached inventory of its layer chain.
    maxRatio: 0.1,
    maxRssMB: 200,
    maxMs: 500,
    note: async () =>
      `layer cache on disk: ${((await dirBytes(layerCacheDir)) / 1024 / 1024).toFixed(1)} MiB`,
  },
  {
    name: 'lint: every real-world Dockerfile, in one process',
    baselineLabel: 'parse only, with dockerfile-ast',
    baseline: () => runSubject(lintSubject, [realWorld, 'parse']),
    subject: () => runSubject(lintSubject, [realWorld, 'lint']),
    // Measured 1.6-1.9: the rules cost less than dockerfile-ast's own parse.
    maxRatio: 2.5,
    maxRssMB: 150,
    note: ({ baseMs, subjMs, base, subj }) => {
      const files = Number(subj[0]?.detail?.['files'] ?? 0);
      const warm = (xs: Sample[]) => median(xs.map((x) => Number(x.detail?.['warmMs'] ?? 0)));
      return Promise.resolve(
        `${files} files, ${String(subj[0]?.detail?.['findings'])} findings: ${(files / (subjMs / 1000)).toFixed(0)} files/s linted, ${(files / (baseMs / 1000)).toFixed(0)} files/s parsed; second pass in the same process (JIT warm): ${(files / (warm(subj) / 1000)).toFixed(0)} files/s linted, ${(files / (warm(base) / 1000)).toFixed(0)} files/s parsed`,
      );
    },
  },
  {
    name: 'audit: every manifest of k8s-manifests and kyverno-policies, in one process',
    baselineLabel: 'load only (YAML with line positions)',
    baseline: () => runSubject(kubeAuditSubject, ['load', ...kubeManifestDirs]),
    subject: () => runSubject(kubeAuditSubject, ['audit', ...kubeManifestDirs]),
    // The rules should cost about what reading the YAML costs, not a multiple of it.
    maxRatio: 3,
    maxRssMB: 400,
    note: ({ baseMs, subjMs, subj }) => {
      const d = subj[0]?.detail ?? {};
      const objects = Number(d['objects'] ?? 0);
      return Promise.resolve(
        `${String(d['files'])} files (${String(d['refused'])} refused by the loader), ${objects} objects, ${String(d['findings'])} findings: ${(objects / (subjMs / 1000)).toFixed(0)} objects/s audited, ${(objects / (baseMs / 1000)).toFixed(0)} objects/s loaded`,
      );
    },
  },
  {
    name: 'CLI cold start: `portcullis lint Dockerfile` to its first byte on stdout',
    baselineLabel: `node -e "process.stdout.write('x')"`,
    baseline: () => timeFirstOutput(process.execPath, ['-e', "process.stdout.write('x')"]),
    subject: async () => timeFirstOutput(process.execPath, [cliMain, 'lint', await smallDockerfile()]),
    // Start-up is short and jittery: more rounds than the heavy entries.
    rounds: Math.max(rounds, 15),
    // The issue's target is the absolute 300 ms; the ratio (2.2 when lint loaded only the
    // Dockerfile rules) catches a heavy import creeping onto the lint path on a loaded machine.
    maxRatio: 3,
    maxMs: 300,
  },
  {
    name: 'secret engine: scanBuffer over a generated corpus (source, config, logs, base64, minified)',
    baselineLabel: 'one case-insensitive regex of all rule keywords',
    baseline: async () => runSubject(secretsSubject, [await secretsCorpus(), 'keywords']),
    subject: async () => runSubject(secretsSubject, [await secretsCorpus(), 'engine']),
    // Measured 3.8: the rules' own matching on keyword lines, over one regex pass.
    maxRatio: 6,
    maxRssMB: 400,
    note: ({ baseMs, subjMs, subj }) => {
      // Counts and per-kind rates from the run nearest the median, not an outlier.
      const typical = [...subj].sort((a, b) => Math.abs(a.ms - subjMs) - Math.abs(b.ms - subjMs))[0];
      const d = typical?.detail ?? {};
      const mb = Number(d['mb'] ?? 0);
      const byKind = Object.entries((d['mbPerSecondByKind'] ?? {}) as Record<string, number>)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ');
      return Promise.resolve(
        `${mb.toFixed(1)} MiB: ${(mb / (subjMs / 1000)).toFixed(0)} MiB/s engine, ${(mb / (baseMs / 1000)).toFixed(0)} MiB/s keyword regex; engine MiB/s by kind: ${byKind}; planted secrets found ${String(d['found'])}, other findings ${String(d['extra'])} ${JSON.stringify(d['extraByRule'] ?? {})}`,
      );
    },
  },
  {
    name: 'signature verification (cold): new verifier per call, key set of one, local docker-registry',
    baselineLabel: 'HEAD of the image manifest (one round trip)',
    baseline: () => verifySubject('head'),
    subject: () => verifySubject('cold'),
    // A cold check is five sequential round trips (HEAD for the tag, the .sig manifest, its
    // payload blob, the referrers API's 404 and the referrers fallback tag's 404) plus the ECDSA
    // verification: measured 4.5 to 7.8 on a loaded 2-CPU machine.
    maxRatio: 10,
    note: ({ baseMs, subjMs, base, subj }) =>
      Promise.resolve(
        `per call (each round times 200 calls; medians over rounds): cold median ${subjMs.toFixed(2)} ms, p95 ${p95Of(subj)}; HEAD median ${baseMs.toFixed(2)} ms, p95 ${p95Of(base)}`,
      ),
  },
  {
    name: 'signature verification (warm): cache hit by tag, local docker-registry',
    baselineLabel: 'HEAD of the image manifest (one round trip)',
    baseline: () => verifySubject('head'),
    subject: () => verifySubject('warm'),
    // A hit by tag still resolves the tag (one HEAD): a moved tag must not hit an old entry.
    maxRatio: 1.5,
    note: ({ baseMs, subjMs, base, subj }) =>
      Promise.resolve(
        `warm by tag median ${subjMs.toFixed(2)} ms, p95 ${p95Of(subj)}; HEAD median ${baseMs.toFixed(2)} ms, p95 ${p95Of(base)}; warm by digest (no request): median ${median(subj.map((x) => Number(x.detail?.['pinnedMedianMs'] ?? 0))).toFixed(3)} ms, p95 ${median(subj.map((x) => Number(x.detail?.['pinnedP95Ms'] ?? 0))).toFixed(3)} ms`,
      ),
  },
  admissionEntry({
    what: 'allowlist+tag policy, 1 connection',
    endpoint: (b) => b.allowlistUrl,
    connections: 1,
    // Measured 1.5 and 1.9 (p99 2.9 to 3.4 ms against 1.8 to 1.9 ms) at load 2.2 on 2 CPUs.
    maxRatio: 3,
    // The issue's target: p99 ≤ 10 ms, and no request may fail.
    maxMs: 10,
  }),
  admissionEntry({
    what: 'requireSignature policy, warm cache, 1 connection',
    endpoint: (b) => b.signatureUrl,
    connections: 1,
    // Measured 1.5 and 1.9 (p99 3.3 to 4.0 ms against 1.7 to 2.6 ms).
    maxRatio: 3,
    maxMs: 10,
  }),
  admissionEntry({
    what: 'requireSignature policy, warm cache, bursts on 10 connections',
    endpoint: (b) => b.signatureUrl,
    connections: 10,
    // The harsher pattern, for the record: no absolute target (the baseline's own p99 was 3 ms
    // at load 1 and 8 to 17 ms at load 3 to 5 on 2 CPUs). Measured p99 ratios 1.4 to 3.4 (the
    // quieter the machine, the higher), p50 ratio 2.2 throughout: a guard against gross regressions.
    maxRatio: 5,
  }),

  {
    name: 'registry: skopeo push then pull of Debian 12 minbase, authentication on both',
    baselineLabel: "Debian's docker-registry 2.8 with htpasswd",
    baseline: () => registryPushPull((r) => r.distribution),
    subject: () => registryPushPull((r) => r.ours),
    // The issue's target.
    maxRatio: 1.1,
    note: ({ base, subj }) =>
      Promise.resolve(
        `push: ours ${detailMedian(subj, 'pushMs').toFixed(0)} ms, distribution ${detailMedian(base, 'pushMs').toFixed(0)} ms; ` +
          `pull: ours ${detailMedian(subj, 'pullMs').toFixed(0)} ms, distribution ${detailMedian(base, 'pullMs').toFixed(0)} ms`,
      ),
  },
  registryHeadEntry({
    against: 'docker-registry 2.8 with htpasswd (Basic, bcrypt, checked on every request)',
    baseline: (r) => r.distribution,
    // distribution checks bcrypt on every request and falls far behind the rate on 2 CPUs;
    // ours must keep up with it and stay well under its tail.
    maxRatio: 1,
  }),
  registryHeadEntry({
    against: 'docker-registry 2.8 without authentication (checks nothing)',
    baseline: (r) => r.distributionNoAuth,
    // For the record: the cost of our authentication, authorization and audit against a
    // registry that does none.
    maxRatio: 3,
  }),
];

const selected = entries.filter(
  (e) => only === undefined || only.split(',').some((part) => e.name.includes(part)),
);
if (only === undefined || selected.some((e) => e.needsDb === true)) await importDatabases();
let failed = false;
const results = [];
for (const e of selected) {
  const base: Sample[] = [];
  const subj: Sample[] = [];
  const n = e.rounds ?? rounds;
  // One warm-up of each so that page cache state is the same for both.
  await e.baseline();
  await e.subject();
  for (let i = 0; i < n; i++) {
    base.push(await e.baseline());
    subj.push(await e.subject());
  }
  const baseMs = median(base.map((s) => s.ms));
  const subjMs = median(subj.map((s) => s.ms));
  const ratio = subjMs / baseMs;
  const peakRss = Math.max(...subj.map((s) => s.maxRssMB ?? 0));
  const failure = e.failure?.({ base, subj });
  const ok =
    failure === undefined &&
    ratio <= e.maxRatio &&
    (e.maxRssMB === undefined || peakRss <= e.maxRssMB) &&
    (e.maxMs === undefined || subjMs <= e.maxMs);
  failed ||= !ok;
  results.push({
    name: e.name,
    baseline: e.baselineLabel,
    baseMs,
    subjMs,
    ratio,
    peakRss,
    target: `ratio ≤ ${e.maxRatio}${e.maxRssMB === undefined ? '' : `, RSS ≤ ${e.maxRssMB} MB`}${e.maxMs === undefined ? '' : `, ≤ ${e.maxMs} ms`}`,
    ok,
  });
  console.log(
    `${ok ? 'PASS' : 'FAIL'}  ${e.name}\n      baseline (${e.baselineLabel}): ${baseMs.toFixed(0)} ms  subject: ${subjMs.toFixed(0)} ms  ratio ${ratio.toFixed(2)} (target ≤ ${e.maxRatio})${e.maxRssMB === undefined ? '' : `  peak RSS ${peakRss.toFixed(0)} MB (target ≤ ${e.maxRssMB})`}  [median of ${n}]${e.maxMs === undefined ? '' : `  (target ≤ ${e.maxMs} ms)`}  [load ${os.loadavg()[0]?.toFixed(1)} on ${os.availableParallelism()} CPUs]`,
  );
  if (e.note !== undefined) console.log(`      ${await e.note({ baseMs, subjMs, base, subj })}`);
  if (failure !== undefined) console.log(`      FAILED: ${failure}`);
}
await admissionBench?.close();
await headRegistries?.close();
await pushPullRegistries?.close();
await signedRegistry?.stop();
await rm(layerCacheDir, { recursive: true, force: true });
for (const d of [scanCacheDir, `${scanCacheDir}-cold`]) await rm(d, { recursive: true, force: true });
await rm(scanDb, { force: true });
await rm(`${layerCacheDir}-cold`, { recursive: true, force: true });
await rm(scratch, { recursive: true, force: true });
console.log(JSON.stringify(results));
process.exitCode = failed ? 1 : 0;
