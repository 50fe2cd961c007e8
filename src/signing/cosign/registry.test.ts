import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../../core/index.js';
import type { ImageRef } from '../../imageref/index.js';
import { MediaType, RegistryClient, type ImageManifest } from '../../oci/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { startSigningFixture, type SigningFixture } from '../../testing/signing-fixtures.js';
import {
  COSIGN_ANNOTATIONS,
  buildSignatureManifest,
  parseSignatureManifest,
  signatureConfigBlob,
  signatureTag,
} from './manifest.js';
import { parseSimpleSigningPayload } from './payload.js';
import {
  fetchSignatures,
  pushSignature,
  resolveImageDigest,
  signImage,
  signImageWithBundle,
  verifyImage,
  verifyImageWith,
} from './registry.js';
import { parseTrustedRoot } from './sigstore.js';
import { SIGSTORE_BUNDLE_MEDIA_TYPES } from './bundle.js';

let fx: SigningFixture;
let client: RegistryClient;

const alice = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const bob = generateKeyPairSync('ec', { namedCurve: 'P-256' });

beforeAll(async () => {
  fx = await startSigningFixture('portcullis-cosign-test-');
  client = fx.client;
}, 120_000);

afterAll(() => fx.close());

async function sigManifest(
  ref: ImageRef,
  digest: Digest,
): Promise<{ bytes: Buffer; manifest: ImageManifest }> {
  const fetched = await client.getManifest({
    registry: ref.registry,
    repository: ref.repository,
    tag: signatureTag(digest),
  });
  return { bytes: fetched.bytes, manifest: parseSignatureManifest(fetched.bytes) };
}

describe('signing and verifying on a real registry', () => {
  it('signs an image pushed by skopeo and verifies it by tag', async () => {
    const ref = await fx.push('one', 'app', 'v1');
    const signed = await signImage(client, ref, alice.privateKey);
    expect(signed.added).toBe(true);
    expect(signed.resolvedFromTag).toBe(true);
    expect(signed.tag).toBe(signatureTag(signed.imageDigest));

    const r = await verifyImage(client, ref, alice.publicKey);
    expect(r.verified).toBe(true);
    expect(r.imageDigest).toBe(signed.imageDigest);
    const ok = r.results[0];
    expect(ok?.ok && ok.payload.dockerReference).toBe(`${fx.registry.host}/app`);
    expect(ok?.ok && ok.payload.dockerManifestDigest).toBe(signed.imageDigest);

    // What is stored is cosign's shape: media types, annotation, config blob.
    const { manifest } = await sigManifest(ref, signed.imageDigest);
    expect(manifest.mediaType).toBe(MediaType.ociManifest);
    expect(manifest.layers[0]?.mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
    expect(manifest.layers[0]?.annotations?.[COSIGN_ANNOTATIONS.signature]).toBe(signed.signature);
    const config = await client.fetchBlob(ref, manifest.config, 4096);
    expect(config.equals(signatureConfigBlob(manifest.layers.map((l) => l.digest)))).toBe(true);
    expect(await client.fetchBlob(ref, manifest.layers[0] ?? manifest.config, 4096)).toEqual(signed.payload);
  });

  it('a second key appends a second signature; each key verifies only its own', async () => {
    const ref = await fx.push('one', 'multi', 'v1');
    await signImage(client, ref, alice.privateKey, { annotations: { by: 'alice' } });
    const second = await signImage(client, ref, bob.privateKey, { annotations: { by: 'bob' } });
    expect(second.signatures).toBe(2);

    const byAlice = await verifyImage(client, ref, alice.publicKey);
    const byBob = await verifyImage(client, ref, bob.publicKey);
    expect(byAlice.results.map((x) => x.ok)).toEqual([true, false]);
    expect(byBob.results.map((x) => x.ok)).toEqual([false, true]);
    expect(byBob.results[0]?.ok === false && byBob.results[0].failure.code).toBe('signature-invalid');

    // -a by=bob: only bob's payload carries it.
    const wantBob = await verifyImage(client, ref, bob.publicKey, { annotations: { by: 'bob' } });
    expect(wantBob.verified).toBe(true);
    const wrong = await verifyImage(client, ref, alice.publicKey, { annotations: { by: 'bob' } });
    expect(wrong.verified).toBe(false);
    expect(wrong.results[0]?.ok === false && wrong.results[0].failure.message).toBe(
      'annotation by is "alice", expected "bob"',
    );
  });

  it('does not add the same signature twice, nor a fresh one by the same key when the key is known', async () => {
    const ref = await fx.push('one', 'dupes', 'v1');
    const first = await signImage(client, ref, alice.privateKey);
    const digest = first.imageDigest;
    const again = await pushSignature(client, ref, digest, first.payload, first.signature);
    expect(again).toMatchObject({ added: false, signatures: 1, manifestDigest: first.manifestDigest });
    const resigned = await signImage(client, ref, alice.privateKey, { signerKey: alice.publicKey });
    expect(resigned.added).toBe(false);
    expect((await sigManifest(ref, digest)).manifest.layers).toHaveLength(1);
  });

  it('after the tag moves to another image, verification by tag finds no signature for the new digest', async () => {
    const ref = await fx.push('one', 'moving', 'v1');
    const signed = await signImage(client, ref, alice.privateKey);
    await fx.push('two', 'moving', 'v1');
    const r = await verifyImage(client, ref, alice.publicKey);
    expect(r.imageDigest).not.toBe(signed.imageDigest);
    expect(r.verified).toBe(false);
    expect(r.fetched.signatureManifest).toBeUndefined();
    expect(r.results).toEqual([]);
  });

  it('a signature manifest copied to another image’s .sig tag fails with a digest message', async () => {
    const one = await fx.push('one', 'replay', 'one');
    const two = await fx.push('two', 'replay', 'two');
    const signed = await signImage(client, one, alice.privateKey);
    const twoDigest = await resolveImageDigest(client, two);
    const { bytes } = await sigManifest(one, signed.imageDigest);
    await client.putManifest({ ...two, tag: signatureTag(twoDigest) }, bytes, MediaType.ociManifest);
    const r = await verifyImage(client, two, alice.publicKey);
    expect(r.verified).toBe(false);
    expect(r.results[0]?.ok === false && r.results[0].failure).toEqual({
      code: 'digest-mismatch',
      message: `the signature is for digest ${signed.imageDigest}, but the image resolved to ${twoDigest}`,
    });
  });

  it('tampering with the signature manifest fails verification', async () => {
    const ref = await fx.push('one', 'tamper', 'v1');
    const signed = await signImage(client, ref, alice.privateKey);
    const { manifest } = await sigManifest(ref, signed.imageDigest);
    const tag = { ...ref, tag: signatureTag(signed.imageDigest) };
    const layer = manifest.layers[0];
    if (layer === undefined) throw new Error('no layer');

    // 1. A flipped bit in the signature annotation.
    const sig = Buffer.from(signed.signature, 'base64');
    sig[20] = (sig[20] ?? 0) ^ 1;
    const flippedSig: ImageManifest = {
      ...manifest,
      layers: [{ ...layer, annotations: { [COSIGN_ANNOTATIONS.signature]: sig.toString('base64') } }],
    };
    await client.putManifest(tag, Buffer.from(JSON.stringify(flippedSig)), MediaType.ociManifest);
    let r = await verifyImage(client, ref, alice.publicKey);
    expect(r.verified).toBe(false);
    expect(r.results[0]?.ok === false && r.results[0].failure.code).toBe('signature-invalid');

    // 2. The layer pointed at a payload edited to say something else (a real blob).
    const original = parseSimpleSigningPayload(signed.payload);
    const edited = Buffer.from(
      signed.payload.toString().replace(original.dockerReference, `${fx.registry.host}/other`),
    );
    await client.pushBlob(ref, { digest: digestOf(edited), size: edited.length }, () => edited);
    const swapped: ImageManifest = {
      ...manifest,
      layers: [{ ...layer, digest: digestOf(edited), size: edited.length }],
    };
    await client.putManifest(tag, Buffer.from(JSON.stringify(swapped)), MediaType.ociManifest);
    r = await verifyImage(client, ref, alice.publicKey);
    expect(r.verified).toBe(false);
    expect(r.results[0]?.ok === false && r.results[0].failure.code).toBe('signature-invalid');

    // 3. The layer still names the original payload's digest, but its size is lied about:
    //    the client refuses the blob, and the candidate reports why.
    const wrongSize: ImageManifest = { ...manifest, layers: [{ ...layer, size: layer.size + 1 }] };
    await client.putManifest(tag, Buffer.from(JSON.stringify(wrongSize)), MediaType.ociManifest);
    r = await verifyImage(client, ref, alice.publicKey);
    expect(r.verified).toBe(false);
    expect(r.results[0]?.ok === false && r.results[0].failure.code).toBe('payload-missing');

    // Putting the original back verifies again, so the failures above were the tampering.
    await client.putManifest(
      tag,
      buildSignatureManifest(manifest.layers, manifest).bytes,
      MediaType.ociManifest,
    );
    expect((await verifyImage(client, ref, alice.publicKey)).verified).toBe(true);
  });

  it('an unsigned image has no candidates and no problems', async () => {
    const ref = await fx.push('two', 'unsigned', 'v1');
    const digest = await resolveImageDigest(client, ref);
    const f = await fetchSignatures(client, ref, digest);
    expect(f).toMatchObject({
      signatureManifest: undefined,
      candidates: [],
      bundleReferrers: [],
      problems: [],
    });
  });

  it('discovers Sigstore bundles attached as referrers (through the referrers tag schema here)', async () => {
    const ref = await fx.push('one', 'bundled', 'v1');
    const head = await client.headManifest(ref);
    if (head === undefined) throw new Error('image missing');
    const bundle = Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}');
    const empty = Buffer.from('{}');
    await client.pushBlob(ref, { digest: digestOf(bundle), size: bundle.length }, () => bundle);
    await client.pushBlob(ref, { digest: digestOf(empty), size: 2 }, () => empty);
    const bundleType = SIGSTORE_BUNDLE_MEDIA_TYPES[0] ?? '';
    const referrer = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        artifactType: bundleType,
        config: { mediaType: MediaType.ociEmpty, digest: digestOf(empty), size: 2 },
        layers: [{ mediaType: bundleType, digest: digestOf(bundle), size: bundle.length }],
        subject: { mediaType: head.mediaType, digest: head.digest, size: head.size },
      }),
    );
    const referrerDigest = await client.putManifest(
      { registry: ref.registry, repository: ref.repository, digest: digestOf(referrer) },
      referrer,
      MediaType.ociManifest,
    );
    const f = await fetchSignatures(client, ref, head.digest);
    expect(f.bundleReferrers.map((d) => d.digest)).toEqual([referrerDigest]);
    expect(f.candidates).toEqual([]);
  });

  it('signs in cosign v3’s bundle format (a referrer) and verifies it; another key does not', async () => {
    const ref = await fx.push('two', 'v3', 'v1');
    const signed = await signImageWithBundle(client, ref, alice.privateKey, { annotations: { env: 'prod' } });
    const r = await verifyImage(client, ref, alice.publicKey, { annotations: { env: 'prod' } });
    expect(r.verified).toBe(true);
    expect(r.results).toEqual([]);
    expect(r.fetched.bundleReferrers.map((d) => d.digest)).toEqual([signed.referrerDigest]);
    expect(r.bundleResults.map((b) => b.ok)).toEqual([true]);

    const byBob = await verifyImage(client, ref, bob.publicKey);
    expect(byBob.verified).toBe(false);
    expect(byBob.bundleResults[0]?.ok === false && byBob.bundleResults[0].failure.code).toBe(
      'signature-invalid',
    );
    const wrongAnnotation = await verifyImage(client, ref, alice.publicKey, { annotations: { env: 'dev' } });
    expect(wrongAnnotation.verified).toBe(false);

    // The referrer has cosign's shape: empty config, bundle layer, subject = the image.
    const m = await client.getManifest({
      registry: ref.registry,
      repository: ref.repository,
      digest: signed.referrerDigest,
    });
    const manifest = JSON.parse(m.bytes.toString()) as ImageManifest;
    expect(manifest.artifactType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(manifest.config.mediaType).toBe(MediaType.ociEmpty);
    expect(manifest.subject?.digest).toBe(signed.imageDigest);
  });

  it('verifies keylessly through the registry: a real keyless .sig layer passes the trust checks, then fails on the digest', async () => {
    const ref = await fx.push('one', 'keyless', 'v1');
    const digest = await resolveImageDigest(client, ref);
    const dir = sharedData('signing', 'connaisseur-cosign-testimage');
    const hex = '31dc72a13a0c34b40eb95419d2b2fd67320c856baf3b72da518023ee8d370aee';
    const upstream = parseSignatureManifest(readFileSync(`${dir}/manifests/sha256-${hex}.sig.json`));
    const layer = upstream.layers[0];
    if (layer === undefined) throw new Error('no layer');
    const payload = readFileSync(`${dir}/blobs/${layer.digest.replace(':', '_')}.json`);
    const config = readFileSync(
      `${dir}/blobs/RECONSTRUCTED_${upstream.config.digest.replace(':', '_')}.config.json`,
    );
    await client.pushBlob(ref, layer, () => payload);
    await client.pushBlob(ref, upstream.config, () => config);
    // Replayed under this image's .sig tag: genuine signature, wrong image.
    await client.putManifest(
      { registry: ref.registry, repository: ref.repository, tag: signatureTag(digest) },
      buildSignatureManifest(upstream.layers, upstream).bytes,
      MediaType.ociManifest,
    );
    const trustedRoot = parseTrustedRoot(readFileSync(sharedData('signing', 'cosign-trusted_root_pgi.json')));
    const identity = {
      subjectAlternativeName: 'philipp.belitz@securesystems.de',
      issuer: 'https://github.com/login/oauth',
    };
    const r = await verifyImageWith(client, ref, { kind: 'keyless', trustedRoot, identity });
    expect(r.verified).toBe(false);
    expect(r.results[0]?.ok === false && r.results[0].failure.code).toBe('digest-mismatch');
    const stranger = await verifyImageWith(client, ref, {
      kind: 'keyless',
      trustedRoot,
      identity: { ...identity, subjectAlternativeName: 'mallory@example.com' },
    });
    expect(stranger.results[0]?.ok === false && stranger.results[0].failure.code).toBe('identity-mismatch');
  });

  it('keeps signatures in another repository when told to (COSIGN_REPOSITORY)', async () => {
    const ref = await fx.push('one', 'elsewhere/app', 'v1');
    const sigs = { registry: ref.registry, repository: 'elsewhere/signatures' };
    const signed = await signImage(client, ref, alice.privateKey, { signatureRepository: sigs });
    expect((await client.listTags(sigs)).includes(signed.tag)).toBe(true);
    expect((await verifyImage(client, ref, alice.publicKey)).verified).toBe(false);
    const r = await verifyImage(client, ref, alice.publicKey, { signatureRepository: sigs });
    expect(r.verified).toBe(true);
  });

  it('reads at most 1000 signature layers, fetching each distinct payload once', async () => {
    const ref = await fx.push('two', 'many', 'v1');
    const first = await signImage(client, ref, alice.privateKey);
    const { manifest } = await sigManifest(ref, first.imageDigest);
    const layer = manifest.layers[0];
    if (layer === undefined) throw new Error('no layer');
    const many = buildSignatureManifest(Array.from({ length: 1000 }, () => layer));
    const tooMany = { ...many.manifest, layers: [...many.manifest.layers, layer] };
    await client.pushBlob(ref, { digest: many.configDigest, size: many.config.length }, () => many.config);
    await client.putManifest(
      { registry: ref.registry, repository: ref.repository, tag: first.tag },
      Buffer.from(JSON.stringify(tooMany)),
      MediaType.ociManifest,
    );
    const f = await fetchSignatures(client, ref, first.imageDigest, { referrers: false });
    expect(f.candidates).toHaveLength(1000);
    expect(f.problems).toEqual(['the signature manifest has 1001 layers; only the first 1000 were read']);
  });

  it('with a trusted root, a key signature needs a transparency-log proof, as cosign requires by default', async () => {
    const ref = await fx.push('one', 'tlog', 'v1');
    await signImage(client, ref, alice.privateKey);
    await signImageWithBundle(client, ref, alice.privateKey);
    const trustedRoot = parseTrustedRoot(readFileSync(sharedData('signing', 'cosign-trusted_root_pgi.json')));
    const strict = await verifyImageWith(client, ref, { kind: 'key', key: alice.publicKey, trustedRoot });
    expect(strict.verified).toBe(false);
    expect(strict.results[0]?.ok === false && strict.results[0].failure.code).toBe('bundle-unsupported');
    expect(strict.bundleResults[0]?.ok === false && strict.bundleResults[0].failure.code).toBe(
      'trust-failed',
    );
    // Without the root (--insecure-ignore-tlog) both verify.
    const relaxed = await verifyImageWith(client, ref, { kind: 'key', key: alice.publicKey });
    expect(relaxed.results.map((x) => x.ok)).toEqual([true]);
    expect(relaxed.bundleResults.map((x) => x.ok)).toEqual([true]);
  });
});
