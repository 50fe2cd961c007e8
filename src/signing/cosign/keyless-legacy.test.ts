import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRepository } from '../../imageref/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { COSIGN_ANNOTATIONS, parseSignatureManifest } from './manifest.js';
import { parseTrustedRoot, verifyKeylessSimpleSignatures, type KeylessIdentity } from './sigstore.js';
import { candidatesFromSignatureManifest, type SignatureCandidate } from './verify.js';

// connaisseur's keyless signature of index.docker.io/phbelitz/rekor-test (cosign ≤ v2 format:
// certificate, chain and Rekor bundle annotations on the .sig layer), checked offline against
// the public-good trusted root in the data.
const dir = sharedData('signing', 'connaisseur-cosign-testimage');
const HEX = '31dc72a13a0c34b40eb95419d2b2fd67320c856baf3b72da518023ee8d370aee';
const root = parseTrustedRoot(readFileSync(sharedData('signing', 'cosign-trusted_root_pgi.json')));
const PHILIPP: KeylessIdentity = {
  subjectAlternativeName: 'philipp.belitz@securesystems.de',
  issuer: 'https://github.com/login/oauth',
};
const expectations = { imageDigest: `sha256:${HEX}`, reference: parseRepository('phbelitz/rekor-test') };

function candidates(): SignatureCandidate[] {
  const manifest = parseSignatureManifest(readFileSync(`${dir}/manifests/sha256-${HEX}.sig.json`));
  const payloads = new Map(
    manifest.layers.map((l) => [l.digest, readFileSync(`${dir}/blobs/${l.digest.replace(':', '_')}.json`)]),
  );
  return candidatesFromSignatureManifest(manifest, payloads);
}

function withAnnotation(c: SignatureCandidate, key: string, value: string | undefined): SignatureCandidate {
  const annotations = Object.fromEntries(Object.entries(c.annotations ?? {}).filter(([k]) => k !== key));
  return { ...c, annotations: value === undefined ? annotations : { ...annotations, [key]: value } };
}

const first = (): SignatureCandidate => {
  const c = candidates()[0];
  if (c === undefined) throw new Error('no layer');
  return c;
};

describe('legacy keyless .sig layers', () => {
  it('verify with the signer’s identity and the trusted root', () => {
    const r = verifyKeylessSimpleSignatures(
      candidates(),
      { trustedRoot: root, identity: PHILIPP },
      expectations,
    );
    expect(r.verified).toBe(true);
  });

  const sig = first().signature ?? '';
  const flippedSig = Buffer.from(sig, 'base64');
  flippedSig[15] = (flippedSig[15] ?? 0) ^ 1;
  const rekor = JSON.parse(first().annotations?.[COSIGN_ANNOTATIONS.bundle] ?? '{}') as {
    SignedEntryTimestamp: string;
    Payload: { integratedTime: number };
  };
  const laterRekor = JSON.stringify({
    ...rekor,
    Payload: { ...rekor.Payload, integratedTime: rekor.Payload.integratedTime + 1 },
  });
  const otherCert = (() => {
    const b = JSON.parse(
      readFileSync(sharedData('signing', 'cosign-oci-attestation.sigstore.json'), 'utf8'),
    ) as {
      verificationMaterial: { certificate: { rawBytes: string } };
    };
    const der = b.verificationMaterial.certificate.rawBytes;
    return `-----BEGIN CERTIFICATE-----\n${der.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
  })();

  it.each([
    [
      'another identity',
      () => first(),
      { ...PHILIPP, subjectAlternativeName: 'mallory@example.com' },
      'identity-mismatch',
    ],
    [
      'a flipped signature bit',
      () => ({ ...first(), signature: flippedSig.toString('base64') }),
      PHILIPP,
      'trust-failed',
    ],
    [
      'a changed Rekor integrated time (SET no longer verifies)',
      () => withAnnotation(first(), COSIGN_ANNOTATIONS.bundle, laterRekor),
      PHILIPP,
      'trust-failed',
    ],
    [
      'another certificate than the Rekor entry names',
      () => withAnnotation(first(), COSIGN_ANNOTATIONS.certificate, otherCert),
      PHILIPP,
      'trust-failed',
    ],
    [
      'no Rekor bundle annotation',
      () => withAnnotation(first(), COSIGN_ANNOTATIONS.bundle, undefined),
      PHILIPP,
      'bundle-unsupported',
    ],
    [
      'no certificate (a key-based layer)',
      () => withAnnotation(first(), COSIGN_ANNOTATIONS.certificate, undefined),
      PHILIPP,
      'bundle-unsupported',
    ],
  ] as const)('fail with %s', (_name, make, identity, code) => {
    const r = verifyKeylessSimpleSignatures([make()], { trustedRoot: root, identity }, expectations);
    expect(r.verified).toBe(false);
    expect(r.results[0]?.ok === false && r.results[0].failure.code).toBe(code);
  });

  it('check the payload claims after the signature: another image digest fails with a digest message', () => {
    const r = verifyKeylessSimpleSignatures(
      candidates(),
      { trustedRoot: root, identity: PHILIPP },
      { ...expectations, imageDigest: `sha256:${'2'.repeat(64)}` },
    );
    expect(r.results[0]?.ok === false && r.results[0].failure.code).toBe('digest-mismatch');
  });
});
