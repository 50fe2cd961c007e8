// Signature verification latency against a local registry, N calls in one process:
// `head` times a bare HEAD of the image manifest (the baseline: one registry round trip);
// `cold` a new verifier per call (empty cache: resolve the tag, fetch the .sig manifest, its
// payload and the referrers, verify); `warm` one verifier whose cache already holds the answer
// (by tag: one HEAD to resolve the tag; by digest: no request at all, also reported).
// Every mode first makes one untimed call, so connections are open in all three alike.
import { readFile } from 'node:fs/promises';
import { parseImageRef } from '../src/imageref/index.js';
import { RegistryClient } from '../src/oci/index.js';
import { createImageVerifier } from '../src/signing/index.js';
import { median, reportSubject } from './harness.js';

const [reference, pinnedRef, keyPath, mode, countArg] = process.argv.slice(2);
if (
  reference === undefined ||
  pinnedRef === undefined ||
  keyPath === undefined ||
  (mode !== 'head' && mode !== 'cold' && mode !== 'warm')
)
  throw new Error('usage: verify.subject.js <ref> <ref@digest> <key.pub> head|cold|warm [N]');
const n = Number(countArg ?? '200');
const ref = parseImageRef(reference);
const pinned = parseImageRef(pinnedRef);
const requirement = { keys: [await readFile(keyPath, 'utf8')] };
const client = new RegistryClient();

function p95(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] ?? 0;
}

async function timeEach(fn: () => Promise<void>): Promise<number[]> {
  await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return out;
}

const check = (r: { satisfied: boolean; cache: string }, cache: string): void => {
  if (!r.satisfied) throw new Error('the signed image did not verify');
  if (r.cache !== cache) throw new Error(`expected a cache ${cache}, got ${r.cache}`);
};

let times: number[];
const detail: Record<string, unknown> = { n };
if (mode === 'head') {
  times = await timeEach(async () => {
    if ((await client.headManifest(ref)) === undefined) throw new Error('the image is missing');
  });
} else if (mode === 'cold') {
  times = await timeEach(async () => {
    check(await createImageVerifier({ client }).verify(ref, requirement), 'miss');
  });
} else {
  const verifier = createImageVerifier({ client });
  check(await verifier.verify(ref, requirement), 'miss');
  times = await timeEach(async () => {
    check(await verifier.verify(ref, requirement), 'hit');
  });
  const byDigest = await timeEach(async () => {
    check(await verifier.verify(pinned, requirement), 'hit');
  });
  detail['pinnedMedianMs'] = median(byDigest);
  detail['pinnedP95Ms'] = p95(byDigest);
}
client.close();
detail['p95Ms'] = p95(times);
reportSubject(median(times), detail);
