import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDigest } from '../../core/index.js';
import { parseRepository } from '../../imageref/index.js';
import { sharedData } from '../../testing/fixtures.js';
import {
  candidatesFromSignatureManifest,
  parseSignatureManifest,
  parseVerificationKey,
  type FetchedSignatures,
} from '../cosign/index.js';
import { publicKeyHint } from '../keys/index.js';
import { evaluateSignatures } from './evaluate.js';
import { normalizeRequirement } from './requirement.js';

// The pure half, fed connaisseur's real cosign signatures (../shared/data/signing/
// connaisseur-cosign-testimage: `.sig` manifests, payload blobs and the alice/bob/charlie public
// keys of github.com/sse-secure-systems/connaisseur's test image), with no registry involved.
const dir = sharedData('signing', 'connaisseur-cosign-testimage');
const pem = (name: string): string => readFileSync(`${dir}/${name}.key`, 'utf8');
const hint = (name: string): string => publicKeyHint(parseVerificationKey(pem(name)));
const TESTIMAGE = parseRepository('docker.io/securesystemsengineering/testimage');
const TRIPLE = 'bfec161fecb0a887df7cb85e4da327c65986ccda7060cf3cd92171c6c90d7533';

/** What fetchSignatures would return for the image, from the data. */
function fetched(imageHex: string, flipPayloadOf?: number): FetchedSignatures {
  const manifest = parseSignatureManifest(readFileSync(`${dir}/manifests/sha256-${imageHex}.sig.json`));
  const payloads = new Map(
    manifest.layers.map((l) => [l.digest, readFileSync(`${dir}/blobs/${l.digest.replace(':', '_')}.json`)]),
  );
  const tag = `sha256-${imageHex}.sig`;
  const candidates = candidatesFromSignatureManifest(manifest, payloads, tag).map((c, i) => {
    if (i !== flipPayloadOf || c.payload === undefined) return c;
    const bytes = Buffer.from(c.payload);
    bytes[10] = (bytes[10] ?? 0) ^ 1;
    return { ...c, payload: bytes, layerDigest: undefined };
  });
  return {
    imageDigest: parseDigest(`sha256:${imageHex}`),
    tag,
    signatureManifest: undefined,
    candidates,
    bundleReferrers: [],
    bundles: [],
    problems: [],
  };
}

describe('evaluating real cosign signatures against key sets', () => {
  it.each<[string, string[], (string | undefined)[]]>([
    ['alice alone', ['alice'], ['alice', undefined, undefined]],
    ['bob and charlie', ['charlie', 'bob'], [undefined, 'bob', 'charlie']],
    ['all three', ['bob', 'alice', 'charlie'], ['alice', 'bob', 'charlie']],
    [
      'the connaisseur default key, which signed none of them',
      ['default'],
      [undefined, undefined, undefined],
    ],
  ])('%s: each layer is credited to the key that made it', (_what, names, byLayer) => {
    const r = evaluateSignatures(fetched(TRIPLE), TESTIMAGE, normalizeRequirement({ keys: names.map(pem) }));
    const credited = [0, 1, 2].map((i) => {
      const v = r.verified.find((s) => s.source.endsWith(`layer ${i + 1}`));
      return v?.signer.kind === 'key' ? v.signer.fingerprint : undefined;
    });
    expect(credited).toEqual(byLayer.map((n) => (n === undefined ? undefined : hint(n))));
    expect(r.satisfied).toBe(byLayer.some((n) => n !== undefined));
    // Every layer not credited fails once per trusted key, with the signature as the reason.
    const uncredited = byLayer.filter((n) => n === undefined).length;
    expect(r.failures).toHaveLength(uncredited * names.length);
    expect(new Set(r.failures.map((f) => f.code))).toEqual(
      new Set(uncredited > 0 ? ['signature-invalid'] : []),
    );
  });

  it('a flipped payload byte fails that layer only', () => {
    const r = evaluateSignatures(
      fetched(TRIPLE, 1),
      TESTIMAGE,
      normalizeRequirement({ keys: [pem('alice'), pem('bob')] }),
    );
    expect(r.verified.map((s) => s.source)).toEqual([`sha256-${TRIPLE}.sig layer 1`]);
    expect(r.failures.map((f) => [f.candidate, f.code])).toEqual([
      [`sha256-${TRIPLE}.sig layer 2`, 'signature-invalid'],
      [`sha256-${TRIPLE}.sig layer 2`, 'signature-invalid'],
      [`sha256-${TRIPLE}.sig layer 3`, 'signature-invalid'],
      [`sha256-${TRIPLE}.sig layer 3`, 'signature-invalid'],
    ]);
  });

  it('the signatures name their repository: elsewhere they need ignoreReference', () => {
    const elsewhere = parseRepository('registry.example/mirror/testimage');
    const strict = evaluateSignatures(
      fetched(TRIPLE),
      elsewhere,
      normalizeRequirement({ keys: [pem('alice')] }),
    );
    expect(strict.satisfied).toBe(false);
    expect(strict.failures[0]?.code).toBe('reference-mismatch');
    const relaxed = evaluateSignatures(
      fetched(TRIPLE),
      elsewhere,
      normalizeRequirement({ keys: [pem('alice')], ignoreReference: true }),
    );
    expect(relaxed.satisfied).toBe(true);
  });
});
