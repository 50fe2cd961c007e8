import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageRef, type ImageRef } from '../../imageref/index.js';
import { MediaType, RegistryClient } from '../../oci/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { startProxy, type TestProxy } from '../../testing/http-proxy.js';
import { startSigningFixture, type SigningFixture } from '../../testing/signing-fixtures.js';
import {
  buildSignatureManifest,
  parseSignatureManifest,
  parseTrustedRoot,
  resolveImageDigest,
  signImage,
  signImageWithBundle,
  signatureTag,
} from '../cosign/index.js';
import { CYCLONEDX_PREDICATE_TYPE, COSIGN_VULN_PREDICATE_TYPE, attestImage } from '../attest/index.js';
import { publicKeyHint } from '../keys/index.js';
import { VerifierError } from './errors.js';
import { createImageVerifier } from './verifier.js';

// Every request goes through a loopback proxy in front of the real docker-registry, so that the
// tests can count what the verifier asks the registry. Images are signed through the proxy too:
// the signatures' docker-reference then names the repository the verifier is asked about.
let fx: SigningFixture;
let proxy: TestProxy;
let client: RegistryClient;

const alice = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const bob = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const carol = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const hint = (k: { publicKey: import('node:crypto').KeyObject }): string => publicKeyHint(k.publicKey);

beforeAll(async () => {
  fx = await startSigningFixture('portcullis-verifier-test-');
  proxy = await startProxy(fx.registry.host);
  client = fx.client;
}, 120_000);

afterAll(async () => {
  await proxy.stop();
  await fx.close();
});

/** Pushes through the proxy, so that the images' docker-reference names the proxy's host. */
async function push(from: string, repository: string, tag: string): Promise<ImageRef> {
  return fx.push(from, repository, tag, proxy.host);
}

/** The same image by digest. */
async function pinned(ref: ImageRef): Promise<ImageRef> {
  return parseImageRef(`${ref.registry}/${ref.repository}@${await resolveImageDigest(client, ref)}`);
}

/** Registry requests made while `fn` runs. */
async function requestsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; requests: string[] }> {
  const before = proxy.requests.length;
  const value = await fn();
  return { value, requests: proxy.requests.slice(before).map((r) => `${r.method} ${r.url}`) };
}

describe('verifying against a set of trusted keys on a real registry', () => {
  let twoSigned: ImageRef;
  beforeAll(async () => {
    twoSigned = await push('one', 'two-keys', 'v1');
    await signImage(client, twoSigned, alice.privateKey);
    await signImage(client, twoSigned, bob.privateKey);
  }, 60_000);

  it('a key set holding one signer is satisfied and names that key and its signature', async () => {
    const v = createImageVerifier({ client });
    const r = await v.verify(twoSigned, { keys: [carol.publicKey, bob.publicKey] });
    expect(r.satisfied).toBe(true);
    expect(r.imageDigest).toBe(await resolveImageDigest(client, twoSigned));
    expect(r.verified).toHaveLength(1);
    expect(r.verified[0]).toMatchObject({
      kind: 'simple-signing',
      signer: { kind: 'key', fingerprint: hint(bob) },
      source: `${signatureTag(r.imageDigest)} layer 2`,
      payload: { dockerManifestDigest: r.imageDigest, dockerReference: `${proxy.host}/two-keys` },
    });
    // Alice's layer verified with neither trusted key: one failure per key tried.
    expect(
      r.failures.map((f) => [f.candidate, f.signer?.kind === 'key' && f.signer.fingerprint, f.code]),
    ).toEqual(
      [hint(carol), hint(bob)]
        .sort()
        .map((h) => [`${signatureTag(r.imageDigest)} layer 1`, h, 'signature-invalid']),
    );
    expect(r.cache).toBe('miss');
    expect(r.timing.totalMs).toBeGreaterThan(0);
  });

  it('with both signers trusted (one as PEM), each signature is credited to its own key', async () => {
    const v = createImageVerifier({ client });
    const r = await v.verify(twoSigned, {
      keys: [alice.publicKey, bob.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
    });
    expect(r.satisfied).toBe(true);
    expect(r.failures).toEqual([]);
    expect(r.verified.map((s) => [s.source.replace(/^.* /, 'layer '), s.signer])).toEqual([
      ['layer 1', { kind: 'key', fingerprint: hint(alice) }],
      ['layer 2', { kind: 'key', fingerprint: hint(bob) }],
    ]);
  });

  it('an unknown key is not satisfied, and every candidate says why', async () => {
    const v = createImageVerifier({ client });
    const r = await v.verify(twoSigned, { keys: [carol.publicKey] });
    expect(r.satisfied).toBe(false);
    expect(r.verified).toEqual([]);
    expect(r.failures.map((f) => [f.candidate.replace(/^.* /, 'layer '), f.code, f.message])).toEqual([
      ['layer 1', 'signature-invalid', 'the signature does not verify with the given public key'],
      ['layer 2', 'signature-invalid', 'the signature does not verify with the given public key'],
    ]);
  });

  it('required annotations count: the right key with the wrong annotation is not enough', async () => {
    const ref = await push('one', 'annotated', 'v1');
    await signImage(client, ref, alice.privateKey, { annotations: { env: 'prod' } });
    const v = createImageVerifier({ client });
    expect((await v.verify(ref, { keys: [alice.publicKey], annotations: { env: 'prod' } })).satisfied).toBe(
      true,
    );
    const wrong = await v.verify(ref, { keys: [alice.publicKey], annotations: { env: 'dev' } });
    expect(wrong.satisfied).toBe(false);
    expect(wrong.failures[0]).toMatchObject({ code: 'annotation-mismatch' });
  });

  it('an image without any signature fails with no-signatures', async () => {
    const ref = await push('two', 'unsigned', 'v1');
    const r = await createImageVerifier({ client }).verify(ref, { keys: [alice.publicKey] });
    expect(r.satisfied).toBe(false);
    expect(r.failures).toEqual([
      expect.objectContaining({ code: 'no-signatures', candidate: signatureTag(r.imageDigest) }),
    ]);
  });

  it('a cosign v3 bundle referrer counts, credited to its key', async () => {
    const ref = await push('two', 'bundled', 'v1');
    await signImageWithBundle(client, ref, bob.privateKey);
    const r = await createImageVerifier({ client }).verify(ref, { keys: [alice.publicKey, bob.publicKey] });
    expect(r.satisfied).toBe(true);
    expect(r.verified).toEqual([
      expect.objectContaining({ kind: 'bundle', signer: { kind: 'key', fingerprint: hint(bob) } }),
    ]);
  });

  it('keyless identities and keys together: a real keyless signature replayed under another image fails per signer with the reason', async () => {
    const ref = await push('one', 'keyless', 'v1');
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
    await client.putManifest(
      { ...ref, tag: signatureTag(digest) },
      buildSignatureManifest(upstream.layers, upstream).bytes,
      MediaType.ociManifest,
    );
    const trustedRoot = parseTrustedRoot(readFileSync(sharedData('signing', 'cosign-trusted_root_pgi.json')));
    const issuer = 'https://github.com/login/oauth';
    const r = await createImageVerifier({ client }).verify(ref, {
      trustedRoot,
      identities: [
        { issuer, subjectAlternativeName: 'philipp.belitz@securesystems.de' },
        { issuer, subjectAlternativeName: 'mallory@example.com' },
      ],
    });
    expect(r.satisfied).toBe(false);
    expect(
      r.failures.map((f) => [f.signer?.kind === 'identity' && f.signer.subjectAlternativeName, f.code]),
    ).toEqual([
      ['mallory@example.com', 'identity-mismatch'],
      ['philipp.belitz@securesystems.de', 'digest-mismatch'],
    ]);
  });

  it('an unusable requirement is refused before any registry request', async () => {
    const v = createImageVerifier({ client });
    const { value, requests } = await requestsDuring(() =>
      v.verify(twoSigned, { keys: [] }).then(
        () => undefined,
        (err: unknown) => err,
      ),
    );
    expect(value).toBeInstanceOf(VerifierError);
    expect(requests).toEqual([]);
  });
});

describe('required attestations', () => {
  let ref: ImageRef;
  const bom = Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[]}');
  beforeAll(async () => {
    ref = await push('two', 'attested', 'v1');
    await signImage(client, ref, alice.privateKey);
    await attestImage(client, ref, alice.privateKey, 'cyclonedx', bom);
    // An SPDX attestation by a key nobody trusts.
    await attestImage(client, ref, carol.privateKey, 'spdx', Buffer.from('{"spdxVersion":"SPDX-2.3"}'));
  }, 60_000);

  it('a signed image with an attestation of the required type by a trusted key is satisfied', async () => {
    const r = await createImageVerifier({ client }).verify(ref, {
      keys: [alice.publicKey, bob.publicKey],
      attestations: ['cyclonedx'],
    });
    expect(r.satisfied).toBe(true);
    expect(r.attestations).toEqual([
      expect.objectContaining({
        predicateType: CYCLONEDX_PREDICATE_TYPE,
        signer: { kind: 'key', fingerprint: hint(alice) },
      }),
    ]);
    expect(r.attestations[0]?.source).toMatch(/\.att layer 1$/);
    // Carol's SPDX layer is reported, once per trusted key, and does not spoil the outcome.
    expect(r.failures.map((f) => [f.candidate.replace(/^.* /, 'layer '), f.code])).toEqual([
      ['layer 2', 'signature-invalid'],
      ['layer 2', 'signature-invalid'],
    ]);
  });

  it('a missing type, or one signed only by an untrusted key, is not satisfied and says which', async () => {
    const v = createImageVerifier({ client });
    const vuln = await v.verify(ref, { keys: [alice.publicKey], attestations: ['cyclonedx', 'vuln'] });
    expect(vuln.satisfied).toBe(false);
    expect(vuln.verified).toHaveLength(1);
    expect(vuln.failures.filter((f) => f.code === 'attestation-missing').map((f) => f.message)).toEqual([
      `no attestation of type ${COSIGN_VULN_PREDICATE_TYPE} verified with a trusted key`,
    ]);
    const spdx = await v.verify(ref, { keys: [alice.publicKey], attestations: ['spdx'] });
    expect(spdx.satisfied).toBe(false);
    expect(spdx.failures.map((f) => f.code)).toEqual(['signature-invalid', 'attestation-missing']);
  });

  it('attestations do not stand in for the image signature', async () => {
    const unsigned = await push('one', 'attested-only', 'v1');
    await attestImage(client, unsigned, alice.privateKey, 'cyclonedx', bom);
    const r = await createImageVerifier({ client }).verify(unsigned, {
      keys: [alice.publicKey],
      attestations: ['cyclonedx'],
    });
    expect(r.satisfied).toBe(false);
    expect(r.attestations).toHaveLength(1);
    expect(r.failures.map((f) => f.code)).toEqual(['no-signatures']);
  });
});

describe('the verification cache', () => {
  let ref: ImageRef;
  let byDigest: ImageRef;
  beforeAll(async () => {
    ref = await push('one', 'cached', 'v1');
    await signImage(client, ref, alice.privateKey);
    byDigest = await pinned(ref);
  }, 60_000);

  it('a second identical call asks the registry nothing (by digest) or only for the tag (by tag)', async () => {
    const v = createImageVerifier({ client });
    const first = await requestsDuring(() => v.verify(byDigest, { keys: [alice.publicKey] }));
    expect(first.value.cache).toBe('miss');
    expect(first.requests.length).toBeGreaterThan(0);
    const second = await requestsDuring(() => v.verify(byDigest, { keys: [alice.publicKey] }));
    expect(second.value).toMatchObject({ cache: 'hit', satisfied: true, checkedAt: first.value.checkedAt });
    expect(second.requests).toEqual([]);
    // The same key set written differently hits the same entry.
    const pem = alice.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const third = await requestsDuring(() => v.verify(byDigest, { keys: [pem, alice.publicKey] }));
    expect(third.value.cache).toBe('hit');
    // By tag: the digest is asked again (a tag may move), nothing else.
    const byTag = await requestsDuring(() => v.verify(ref, { keys: [alice.publicKey] }));
    expect(byTag.value.cache).toBe('hit');
    expect(byTag.requests).toEqual([`HEAD /v2/cached/manifests/v1`]);
    expect(v.stats()).toEqual({ hits: 3, misses: 1, coalesced: 0, entries: 1 });
  });

  it('another key set is another entry', async () => {
    const v = createImageVerifier({ client });
    await v.verify(byDigest, { keys: [alice.publicKey] });
    const other = await requestsDuring(() => v.verify(byDigest, { keys: [alice.publicKey, bob.publicKey] }));
    expect(other.value.cache).toBe('miss');
    expect(other.requests.length).toBeGreaterThan(0);
  });

  it('an entry expires after its TTL and the registry is asked again; unsatisfied outcomes expire sooner', async () => {
    let t = 1_000_000;
    const v = createImageVerifier({ client, now: () => t, cache: { ttlMs: 60_000, negativeTtlMs: 5_000 } });
    await v.verify(byDigest, { keys: [alice.publicKey] });
    await v.verify(byDigest, { keys: [carol.publicKey] });
    t += 5_000;
    // The negative entry is gone, the positive one holds.
    expect((await v.verify(byDigest, { keys: [carol.publicKey] })).cache).toBe('miss');
    expect((await v.verify(byDigest, { keys: [alice.publicKey] })).cache).toBe('hit');
    t += 55_000;
    const after = await requestsDuring(() => v.verify(byDigest, { keys: [alice.publicKey] }));
    expect(after.value).toMatchObject({ cache: 'miss', satisfied: true, checkedAt: t });
    expect(after.requests.length).toBeGreaterThan(0);
  });

  it('holds at most maxEntries, evicting the least recently used', async () => {
    const v = createImageVerifier({ client, cache: { maxEntries: 2 } });
    const a = { keys: [alice.publicKey] };
    const b = { keys: [alice.publicKey, bob.publicKey] };
    const c = { keys: [alice.publicKey, carol.publicKey] };
    await v.verify(byDigest, a);
    await v.verify(byDigest, b);
    expect((await v.verify(byDigest, a)).cache).toBe('hit');
    await v.verify(byDigest, c);
    expect(v.stats().entries).toBe(2);
    expect((await v.verify(byDigest, a)).cache).toBe('hit');
    const evicted = await requestsDuring(() => v.verify(byDigest, b));
    expect(evicted.value.cache).toBe('miss');
    expect(evicted.requests.length).toBeGreaterThan(0);
  });

  it('concurrent identical calls share one registry round trip', async () => {
    const once = await requestsDuring(() =>
      createImageVerifier({ client }).verify(ref, { keys: [alice.publicKey] }),
    );
    const v = createImageVerifier({ client });
    const many = await requestsDuring(() =>
      Promise.all(Array.from({ length: 8 }, () => v.verify(ref, { keys: [bob.publicKey, alice.publicKey] }))),
    );
    expect(many.value.map((r) => r.cache).sort()).toEqual([...Array<string>(7).fill('coalesced'), 'miss']);
    expect(many.value.every((r) => r.satisfied)).toBe(true);
    // One HEAD for the tag and one fetch of the signatures, exactly as a single call makes.
    expect(many.requests.sort()).toEqual(once.requests.sort());
    expect(v.stats()).toMatchObject({ misses: 1, coalesced: 7 });
  });

  it('a tag moved to another image resolves to the new digest and is not satisfied by the old entry', async () => {
    const moving = await push('one', 'moving', 'v1');
    await signImage(client, moving, alice.privateKey);
    const v = createImageVerifier({ client });
    const before = await v.verify(moving, { keys: [alice.publicKey] });
    expect(before.satisfied).toBe(true);
    await push('two', 'moving', 'v1');
    const after = await v.verify(moving, { keys: [alice.publicKey] });
    expect(after.imageDigest).not.toBe(before.imageDigest);
    expect(after).toMatchObject({ cache: 'miss', satisfied: false });
    expect(after.failures.map((f) => f.code)).toEqual(['no-signatures']);
    // The old digest's entry is still good for a reference pinned to it.
    const old = parseImageRef(`${moving.registry}/${moving.repository}@${before.imageDigest}`);
    expect((await v.verify(old, { keys: [alice.publicKey] })).cache).toBe('hit');
  });

  it('clear() drops every entry, and a fetch running meanwhile does not refill the cache', async () => {
    const v = createImageVerifier({ client });
    await v.verify(byDigest, { keys: [alice.publicKey] });
    const running = v.verify(byDigest, { keys: [bob.publicKey] });
    v.clear();
    expect((await running).cache).toBe('miss');
    expect(v.stats().entries).toBe(0);
    expect((await v.verify(byDigest, { keys: [alice.publicKey] })).cache).toBe('miss');
  });

  it('registry failures are thrown and not cached', async () => {
    const v = createImageVerifier({ client });
    const missing = parseImageRef(`${proxy.host}/nowhere:v1`);
    await expect(v.verify(missing, { keys: [alice.publicKey] })).rejects.toMatchObject({
      code: 'MANIFEST_UNKNOWN',
    });
    expect(v.stats().entries).toBe(0);
  });

  it('cache bounds must be positive whole numbers', () => {
    expect(() => createImageVerifier({ client, cache: { maxEntries: 0 } })).toThrow(VerifierError);
    expect(() => createImageVerifier({ client, cache: { ttlMs: 1.5 } })).toThrow(/cache.ttlMs/);
  });
});
