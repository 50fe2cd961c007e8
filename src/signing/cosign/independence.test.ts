import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { describe, expect, it } from 'vitest';
import { parseRepository } from '../../imageref/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { publicKeyHintOf, signatureBundle } from './bundle.js';
import { signPayload } from './crypto.js';
import { simpleSigningPayload } from './payload.js';

// Independence: what we sign must verify with sigstore-js's verifier used directly (static
// public key, no transparency log), not only with our own code.

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const hint = publicKeyHintOf(publicKey);
const emptyRoot = TrustedRoot.fromJSON({
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
});
const verifier = (key = publicKey): Verifier =>
  new Verifier(
    toTrustMaterial(emptyRoot, () => ({ publicKey: key, validFor: () => true })),
    { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 },
  );

describe('our signatures verify with @sigstore/verify', () => {
  const payload = simpleSigningPayload(
    parseRepository('127.0.0.1:5000/app'),
    'sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f',
  );
  const signature = signPayload(privateKey, payload);

  // The legacy layer as a message-signature bundle, as in the research notes (§A5).
  const asBundle = (sig: string): unknown => ({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint }, tlogEntries: [] },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
      signature: sig,
    },
  });

  it('a simple-signing signature from signPayload', () => {
    expect(() =>
      verifier().verify(toSignedEntity(bundleFromJSON(asBundle(signature)), payload)),
    ).not.toThrow();
  });

  it('and not with another key, nor over other bytes (so the check above can fail)', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(() =>
      verifier(other).verify(toSignedEntity(bundleFromJSON(asBundle(signature)), payload)),
    ).toThrow();
    const changed = Buffer.from(payload);
    changed[5] = (changed[5] ?? 0) ^ 1;
    expect(() => verifier().verify(toSignedEntity(bundleFromJSON(asBundle(signature)), changed))).toThrow();
  });

  it('a key-based DSSE bundle from signatureBundle', () => {
    const bundle = JSON.parse(signatureBundle(`sha256:${'ab'.repeat(32)}`, privateKey).toString()) as unknown;
    expect(() => verifier().verify(toSignedEntity(bundleFromJSON(bundle)))).not.toThrow();
  });

  it('the real alice signature verifies there too (the harness agrees with the data)', () => {
    const dir = sharedData('signing', 'connaisseur-cosign-testimage');
    const alice = readFileSync(`${dir}/alice.key`, 'utf8');
    const aliceKey = createPublicKey(alice);
    const realPayload = readFileSync(
      `${dir}/blobs/sha256_d8ee807d96efe7441b132967ad94eaffbc0172a763e69f2cd8df8f583f0ba0d4.json`,
    );
    const realSig =
      'MEUCIQCsrBIJ5hCGEkqfGx/GlUzKM1z8V/Z3mFcNqTVnJ42z2AIgfNWzzQc+OoK8siMd683eKynMzZZ0ezfloZz58McYb8E=';
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: publicKeyHintOf(aliceKey) }, tlogEntries: [] },
      messageSignature: {
        messageDigest: {
          algorithm: 'SHA2_256',
          digest: createHash('sha256').update(realPayload).digest('base64'),
        },
        signature: realSig,
      },
    };
    expect(() =>
      verifier(aliceKey).verify(toSignedEntity(bundleFromJSON(bundle), realPayload)),
    ).not.toThrow();
  });
});
