import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  parseSigstoreBundle,
  preAuthEncoding,
  publicKeyHintOf,
  signatureBundle,
  verifyBundleWithKey,
  type SigstoreBundle,
} from './bundle.js';
import { parseVerificationKey, signPayload } from './crypto.js';

const DIGEST = 'sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f';

/** A real keyless bundle with its certificate taken out, and the certificate's key. */
function asKeyBundle(file: string): { bundle: SigstoreBundle; key: KeyObject } {
  const bundle = parseSigstoreBundle(readFileSync(file));
  const vm = bundle.verificationMaterial;
  const raw = vm.certificate?.rawBytes ?? vm.x509CertificateChain?.certificates[0]?.rawBytes ?? '';
  const key = new X509Certificate(Buffer.from(raw, 'base64')).publicKey;
  return { bundle: { ...bundle, verificationMaterial: { publicKey: {} } }, key };
}

describe('DSSE over real Sigstore bundles', () => {
  it('computes PAE as the DSSE spec example', () => {
    expect(preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  // The signatures were made by real sigstore clients (cosign 2025, sigstore-js); verifying them
  // with the leaf certificate's key checks our PAE and envelope handling against theirs.
  it.each([
    [
      sharedData('signing', 'cosign-oci-attestation.sigstore.json'),
      'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4',
    ],
    [
      sharedData('signing', 'sigstore-js-bundles', 'bundleV03-dsse.sigstore'),
      'sha512:7bea9f6e7ff37f5fab0b36bf061200fff03099fd2fd696b91d04bc5e4f225eb9fd6e0cadcad54ba980f43fb352a99e8810b4e0abeb5c0ef2cf9108cd1f258b36',
    ],
    [
      sharedData('signing', 'sigstore-js-bundles', 'bundleV01-dsse-with-proof.sigstore'),
      'sha512:7bea9f6e7ff37f5fab0b36bf061200fff03099fd2fd696b91d04bc5e4f225eb9fd6e0cadcad54ba980f43fb352a99e8810b4e0abeb5c0ef2cf9108cd1f258b36',
    ],
  ])('%s verifies with its certificate key for %s', (file, digest) => {
    const { bundle, key } = asKeyBundle(file);
    const r = verifyBundleWithKey(bundle, key, { imageDigest: digest, anyPredicateType: true });
    expect(r.ok).toBe(true);
    // Only cosign's sign predicate counts as a signature by default; these are attestations.
    const strict = verifyBundleWithKey(bundle, key, { imageDigest: digest });
    expect(!strict.ok && strict.failure.code).toBe('predicate-mismatch');
    // Another key does not verify it.
    const alice = parseVerificationKey(
      readFileSync(sharedData('signing', 'connaisseur-cosign-testimage', 'alice.key'), 'utf8'),
    );
    const wrong = verifyBundleWithKey(bundle, alice, { imageDigest: digest, anyPredicateType: true });
    expect(!wrong.ok && wrong.failure.code).toBe('signature-invalid');
  });

  it('refuses a keyless bundle as is: that needs a trusted root', () => {
    const bundle = parseSigstoreBundle(
      readFileSync(sharedData('signing', 'cosign-oci-attestation.sigstore.json')),
    );
    const { key } = asKeyBundle(sharedData('signing', 'cosign-oci-attestation.sigstore.json'));
    const r = verifyBundleWithKey(bundle, key, { imageDigest: DIGEST, anyPredicateType: true });
    expect(!r.ok && r.failure.code).toBe('bundle-unsupported');
  });
});

describe('key-based bundles as cosign v3 signs', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const bytes = signatureBundle(DIGEST, privateKey, { env: 'prod' });
  const bundle = parseSigstoreBundle(bytes);

  it('has the v0.3 shape with the key hint', () => {
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial.publicKey?.hint).toBe(publicKeyHintOf(publicKey));
    const statement = JSON.parse(
      Buffer.from(bundle.dsseEnvelope?.payload ?? '', 'base64').toString(),
    ) as unknown;
    expect(statement).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { sha256: DIGEST.slice(7) }, annotations: { env: 'prod' } }],
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      predicate: {},
    });
  });

  it('computes key hints as the data lists them (base64 sha256 of the SPKI)', () => {
    const hints = JSON.parse(
      readFileSync(sharedData('signing', 'connaisseur-cosign-testimage', 'KEY-HINTS.json'), 'utf8'),
    ) as Record<string, { sigstoreKeyHint_base64_sha256_spki: string }>;
    for (const [file, { sigstoreKeyHint_base64_sha256_spki: hint }] of Object.entries(hints)) {
      const key = parseVerificationKey(
        readFileSync(sharedData('signing', 'connaisseur-cosign-testimage', file), 'utf8'),
      );
      expect(publicKeyHintOf(key)).toBe(hint);
    }
  });

  it.each([
    ['the right digest and annotation', { imageDigest: DIGEST, annotations: { env: 'prod' } }, undefined],
    ['another digest', { imageDigest: `sha256:${'0'.repeat(64)}` }, 'digest-mismatch'],
    ['a missing annotation', { imageDigest: DIGEST, annotations: { team: 'a' } }, 'annotation-mismatch'],
    [
      'a different annotation value',
      { imageDigest: DIGEST, annotations: { env: 'dev' } },
      'annotation-mismatch',
    ],
  ])('verifies against %s', (_name, expectations, code) => {
    const r = verifyBundleWithKey(bundle, publicKey, expectations);
    if (code === undefined) expect(r.ok).toBe(true);
    else expect(!r.ok && r.failure.code).toBe(code);
  });

  it('fails when the statement or the signature is altered', () => {
    const env = bundle.dsseEnvelope;
    if (env === undefined) throw new Error('no envelope');
    const statement = Buffer.from(env.payload, 'base64');
    statement[30] = (statement[30] ?? 0) ^ 1;
    const alteredStatement = { ...bundle, dsseEnvelope: { ...env, payload: statement.toString('base64') } };
    const a = verifyBundleWithKey(alteredStatement, publicKey, { imageDigest: DIGEST });
    expect(!a.ok && a.failure.code).toBe('signature-invalid');

    const sig = Buffer.from(env.signatures[0]?.sig ?? '', 'base64');
    sig[12] = (sig[12] ?? 0) ^ 1;
    const alteredSig = { ...bundle, dsseEnvelope: { ...env, signatures: [{ sig: sig.toString('base64') }] } };
    const b = verifyBundleWithKey(alteredSig, publicKey, { imageDigest: DIGEST });
    expect(!b.ok && b.failure.code).toBe('signature-invalid');
  });

  it('does not accept a signature over the bare statement instead of its PAE', () => {
    const env = bundle.dsseEnvelope;
    if (env === undefined) throw new Error('no envelope');
    const bare = signPayload(privateKey, Buffer.from(env.payload, 'base64'));
    const r = verifyBundleWithKey(
      { ...bundle, dsseEnvelope: { ...env, signatures: [{ sig: bare }] } },
      publicKey,
      {
        imageDigest: DIGEST,
      },
    );
    expect(!r.ok && r.failure.code).toBe('signature-invalid');
  });
});

describe('parseSigstoreBundle', () => {
  it.each([
    ['not JSON', '{', /not JSON/],
    [
      'an unknown media type',
      '{"mediaType":"application/x","verificationMaterial":{}}',
      /unknown media type/,
    ],
    [
      'bad base64',
      '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"dsseEnvelope":{"payload":"a-b_","payloadType":"t","signatures":[]}}',
      /base64/,
    ],
    [
      'no verification material',
      '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}',
      /verificationMaterial/,
    ],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseSigstoreBundle(Buffer.from(text))).toThrow(message);
  });
});
