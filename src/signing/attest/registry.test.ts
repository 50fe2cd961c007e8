import { generateKeyPairSync } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import { MediaType, RegistryClient } from '../../oci/index.js';
import { startSigningFixture, type SigningFixture } from '../../testing/signing-fixtures.js';
import { SIGSTORE_BUNDLE_V03_MEDIA_TYPE, publicKeyHintOf } from '../cosign/bundle.js';
import { signImageWithBundle } from '../cosign/registry.js';
import { parseSignatureManifest } from '../cosign/manifest.js';
import { parseDsseEnvelope, signDsseEnvelope } from './dsse.js';
import { attestationTag } from './manifest.js';
import { attestImage, fetchAttestations, verifyImageAttestations } from './registry.js';

let fx: SigningFixture;
let client: RegistryClient;

const alice = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const bob = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const bom = Buffer.from(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] }));

beforeAll(async () => {
  fx = await startSigningFixture('portcullis-attest-test-', 256);
  client = fx.client;
}, 120_000);

afterAll(() => fx.close());

describe('attestations on a real registry', () => {
  it('attests an image pushed by skopeo and verifies by tag, only for the requested type and key', async () => {
    const ref = await fx.push('one', 'app', 'v1');
    const made = await attestImage(client, ref, alice.privateKey, 'cyclonedx', bom);
    expect(made.added).toBe(true);
    expect(made.tag).toBe(attestationTag(made.imageDigest));
    expect(made.resolvedFromTag).toBe(true);

    const fetched = await client.getManifest({
      registry: ref.registry,
      repository: ref.repository,
      tag: made.tag,
    });
    const manifest = parseSignatureManifest(fetched.bytes);
    expect(fetched.mediaType).toBe(MediaType.ociManifest);
    expect(manifest.layers[0]?.mediaType).toBe('application/vnd.dsse.envelope.v1+json');
    expect(manifest.layers[0]?.annotations).toEqual({
      'dev.cosignproject.cosign/signature': '',
      predicateType: 'https://cyclonedx.org/bom',
    });

    const ok = await verifyImageAttestations(client, ref, alice.publicKey, { type: 'cyclonedx' });
    expect(ok.verified).toBe(true);
    expect(ok.results[0]).toMatchObject({
      ok: true,
      statement: {
        _type: 'https://in-toto.io/Statement/v0.1',
        subject: [{ name: `${fx.registry.host}/app`, digest: { sha256: made.imageDigest.slice(7) } }],
        predicate: { bomFormat: 'CycloneDX' },
      },
    });

    const wrongType = await verifyImageAttestations(client, ref, alice.publicKey, { type: 'vuln' });
    expect(wrongType.verified).toBe(false);
    expect(wrongType.results[0]).toMatchObject({ ok: false, failure: { code: 'predicate-mismatch' } });
    const wrongKey = await verifyImageAttestations(client, ref, bob.publicKey, { type: 'cyclonedx' });
    expect(wrongKey.results[0]).toMatchObject({ ok: false, failure: { code: 'signature-invalid' } });
  });

  it('a second attestation is appended; --replace swaps the one of the same type', async () => {
    const ref = await fx.push('one', 'app2', 'v1');
    await attestImage(client, ref, alice.privateKey, 'cyclonedx', bom);
    const vuln = await attestImage(client, ref, bob.privateKey, 'vuln', Buffer.from('{}'));
    expect(vuln.attestations).toBe(2);
    expect((await verifyImageAttestations(client, ref, bob.publicKey, { type: 'vuln' })).verified).toBe(true);
    const replaced = await attestImage(client, ref, bob.privateKey, 'cyclonedx', bom, { replace: true });
    expect(replaced).toMatchObject({ replaced: 1, attestations: 2 });
    expect(
      (await verifyImageAttestations(client, ref, alice.publicKey, { type: 'cyclonedx' })).verified,
    ).toBe(false);
    expect((await verifyImageAttestations(client, ref, bob.publicKey, { type: 'cyclonedx' })).verified).toBe(
      true,
    );
  });

  it('another image pushed to the tag has no attestations; attestations copied to it fail on the subject digest', async () => {
    const ref = await fx.push('one', 'moved', 'v1');
    const first = await attestImage(client, ref, alice.privateKey, 'cyclonedx', bom);
    await fx.push('two', 'moved', 'v1');
    const none = await verifyImageAttestations(client, ref, alice.publicKey, { type: 'cyclonedx' });
    expect(none.verified).toBe(false);
    expect(none.results).toEqual([]);
    expect(none.imageDigest).not.toBe(first.imageDigest);

    // Replay: the first image's .att manifest put under the second image's .att tag.
    const old = await client.getManifest({
      registry: ref.registry,
      repository: ref.repository,
      tag: first.tag,
    });
    await client.putManifest({ ...ref, tag: attestationTag(none.imageDigest) }, old.bytes, old.mediaType);
    const replayed = await verifyImageAttestations(client, ref, alice.publicKey, { type: 'cyclonedx' });
    expect(replayed.verified).toBe(false);
    expect(replayed.results[0]).toMatchObject({ ok: false, failure: { code: 'digest-mismatch' } });
  });

  it('the envelope we push verifies with @sigstore/verify used directly with the static key', async () => {
    const ref = await fx.push('two', 'indep', 'v1');
    await attestImage(client, ref, alice.privateKey, 'spdxjson', Buffer.from('{"spdxVersion":"SPDX-2.3"}'));
    const digest = (await verifyImageAttestations(client, ref, alice.publicKey, { type: 'spdx' }))
      .imageDigest;
    const fetched = await fetchAttestations(client, ref, digest);
    const envelope = fetched.candidates[0]?.envelope;
    expect(envelope).toBeDefined();
    const env = parseDsseEnvelope(envelope ?? Buffer.alloc(0));
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: publicKeyHintOf(alice.publicKey) }, tlogEntries: [] },
      dsseEnvelope: env,
    };
    const root = TrustedRoot.fromJSON({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    });
    const verifier = (key: typeof alice.publicKey): Verifier =>
      new Verifier(
        toTrustMaterial(root, () => ({ publicKey: key, validFor: () => true })),
        {
          tlogThreshold: 0,
          ctlogThreshold: 0,
          timestampThreshold: 0,
        },
      );
    expect(() => verifier(alice.publicKey).verify(toSignedEntity(bundleFromJSON(bundle)))).not.toThrow();
    expect(() => verifier(bob.publicKey).verify(toSignedEntity(bundleFromJSON(bundle)))).toThrow();
  });

  it('finds cosign v3 attestation bundles among the referrers, by predicate type, beside signature bundles', async () => {
    const ref = await fx.push('two', 'v3', 'v1');
    const head = await client.headManifest(ref);
    if (head === undefined) throw new Error('image missing');
    await signImageWithBundle(client, ref, alice.privateKey);
    // What cosign v3 `attest --key` attaches: an in-toto v1 statement in a DSSE bundle referrer.
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ digest: { sha256: head.digest.slice(7) } }],
        predicateType: 'https://cyclonedx.org/bom',
        predicate: { bomFormat: 'CycloneDX' },
      }),
    );
    const bundle = Buffer.from(
      JSON.stringify({
        mediaType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
        verificationMaterial: { publicKey: { hint: publicKeyHintOf(alice.publicKey) }, tlogEntries: [] },
        dsseEnvelope: JSON.parse(signDsseEnvelope(statement, alice.privateKey).toString()) as unknown,
      }),
    );
    const empty = Buffer.from('{}');
    await client.pushBlob(ref, { digest: digestOf(empty), size: 2 }, () => empty);
    await client.pushBlob(ref, { digest: digestOf(bundle), size: bundle.length }, () => bundle);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
        config: { mediaType: MediaType.ociEmpty, digest: digestOf(empty), size: 2 },
        layers: [
          { mediaType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE, digest: digestOf(bundle), size: bundle.length },
        ],
        subject: { mediaType: head.mediaType, digest: head.digest, size: head.size },
        annotations: {
          'dev.sigstore.bundle.content': 'dsse-envelope',
          'dev.sigstore.bundle.predicateType': 'https://cyclonedx.org/bom',
        },
      }),
    );
    await client.putManifest(
      { registry: ref.registry, repository: ref.repository, digest: digestOf(manifest) },
      manifest,
      MediaType.ociManifest,
    );

    const ok = await verifyImageAttestations(client, ref, alice.publicKey, { type: 'cyclonedx' });
    expect(ok.verified).toBe(true);
    // Only the attestation bundle is a candidate: the signature bundle is of another type.
    expect(ok.results).toHaveLength(1);
    expect(ok.results[0]).toMatchObject({
      ok: true,
      source: `referrer ${digestOf(manifest)}`,
      statement: { predicate: { bomFormat: 'CycloneDX' } },
    });
    const wrongKey = await verifyImageAttestations(client, ref, bob.publicKey, { type: 'cyclonedx' });
    expect(wrongKey.results[0]).toMatchObject({ ok: false, failure: { code: 'signature-invalid' } });
    expect((await verifyImageAttestations(client, ref, alice.publicKey, { type: 'vuln' })).results).toEqual(
      [],
    );
    expect(
      (await verifyImageAttestations(client, ref, alice.publicKey, { type: 'cyclonedx', referrers: false }))
        .verified,
    ).toBe(false);
  });
});
