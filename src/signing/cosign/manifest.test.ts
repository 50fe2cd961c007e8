import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import { MediaType, type Descriptor, type ImageManifest } from '../../oci/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { signPayload } from './crypto.js';
import {
  COSIGN_ANNOTATIONS,
  MAX_SIGNATURE_LAYERS,
  SIMPLE_SIGNING_MEDIA_TYPE,
  appendSignature,
  buildSignatureManifest,
  parseSignatureManifest,
  signatureConfigBlob,
  signatureLayer,
  signatureTag,
} from './manifest.js';
import { simpleSigningPayload } from './payload.js';

const dir = sharedData('signing', 'connaisseur-cosign-testimage');
const upstreamBytes = (digestHex: string): Buffer =>
  readFileSync(`${dir}/manifests/sha256-${digestHex}.sig.json`);
const upstream = (digestHex: string): ImageManifest => parseSignatureManifest(upstreamBytes(digestHex));

// The three real signature manifests: one alice signature; a keyless signature with
// certificate, chain and Rekor bundle annotations; alice, bob and charlie over one payload.
const IMAGES = [
  '071bf7a986f1ca9cb2a1f0bc8392822a7777f90d58f2d2c6f271913e08de7c81',
  '31dc72a13a0c34b40eb95419d2b2fd67320c856baf3b72da518023ee8d370aee',
  'bfec161fecb0a887df7cb85e4da327c65986ccda7060cf3cd92171c6c90d7533',
];

describe('signature manifests as cosign writes them', () => {
  it.each(IMAGES)('config blob for sha256-%s.sig has the upstream digest and size', (hex) => {
    const m = upstream(hex);
    const built = buildSignatureManifest(m.layers);
    expect(built.configDigest).toBe(m.config.digest);
    expect(built.config.length).toBe(m.config.size);
    expect(built.manifest.config).toEqual(m.config);
    // The data also holds the reconstructed blobs; ours are byte-identical.
    const reconstructed = readFileSync(
      `${dir}/blobs/RECONSTRUCTED_${m.config.digest.replace(':', '_')}.config.json`,
    );
    expect(built.config.equals(reconstructed)).toBe(true);
  });

  it.each(IMAGES)('manifest bytes for sha256-%s.sig are the upstream manifest, compact', (hex) => {
    // The data's copies are pretty-printed; compacting them in their own key order gives the
    // bytes go-containerregistry pushed (its field order, annotations sorted).
    const compact = JSON.stringify(JSON.parse(upstreamBytes(hex).toString()));
    const built = buildSignatureManifest(upstream(hex).layers);
    expect(built.bytes.toString()).toBe(compact);
    expect(built.digest).toBe(digestOf(Buffer.from(compact)));
    expect(built.mediaType).toBe(MediaType.ociManifest);
  });

  it('rebuilds the three-signature manifest by appending alice, bob and charlie in turn', () => {
    const want = upstream(IMAGES[2] ?? '');
    const payload = readFileSync(
      `${dir}/blobs/sha256_7248e52a7da336ff63192f2c0a8f12562b0d5368e9cde6ab292cbb4604074f28.json`,
    );
    let current: ImageManifest | undefined;
    for (const layer of want.layers) {
      const sig = layer.annotations?.[COSIGN_ANNOTATIONS.signature] ?? '';
      const r = appendSignature(current, payload, signatureLayer(payload, sig));
      expect(r.added).toBe(true);
      current = r.manifest;
    }
    expect(current).toEqual(want);
  });

  it('names the tag sha256-<hex>.sig', () => {
    expect(signatureTag(`sha256:${IMAGES[0] ?? ''}`)).toBe(`sha256-${IMAGES[0] ?? ''}.sig`);
    expect(signatureTag(`sha256:${IMAGES[0] ?? ''}`, 'att')).toBe(`sha256-${IMAGES[0] ?? ''}.att`);
    expect(() => signatureTag('latest')).toThrow(/invalid digest/);
  });

  it('gives an empty list a config with empty history and diff_ids', () => {
    expect(signatureConfigBlob([]).toString()).toBe(
      '{"architecture":"","created":"0001-01-01T00:00:00Z","history":[],"os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}',
    );
  });
});

describe('appendSignature', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const payload = simpleSigningPayload(
    { registry: '127.0.0.1:5000', repository: 'app' },
    'sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f',
  );
  const first = signatureLayer(payload, signPayload(privateKey, payload));

  it('starts a manifest when there is none', () => {
    const r = appendSignature(undefined, payload, first);
    expect(r.added).toBe(true);
    expect(r.manifest.layers).toEqual([first]);
    expect(r.manifest.layers[0]?.mediaType).toBe(SIMPLE_SIGNING_MEDIA_TYPE);
    expect(r.manifest.layers[0]?.size).toBe(payload.length);
  });

  it('does not add an identical signature twice', () => {
    const once = appendSignature(undefined, payload, first);
    const twice = appendSignature(once.manifest, payload, first);
    expect(twice.added).toBe(false);
    expect(twice.bytes.equals(once.bytes)).toBe(true);
  });

  it('adds a second signature by the same key unless told the signer key (ECDSA is randomized)', () => {
    const once = appendSignature(undefined, payload, first);
    const again = signatureLayer(payload, signPayload(privateKey, payload));
    expect(again.annotations?.[COSIGN_ANNOTATIONS.signature]).not.toBe(
      first.annotations?.[COSIGN_ANNOTATIONS.signature],
    );
    expect(appendSignature(once.manifest, payload, again).added).toBe(true);
    expect(appendSignature(once.manifest, payload, again, { signerKey: publicKey }).added).toBe(false);
  });

  it('adds a signature by another key even with the signer key given', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const once = appendSignature(undefined, payload, first);
    const second = signatureLayer(payload, signPayload(other.privateKey, payload));
    const r = appendSignature(once.manifest, payload, second, { signerKey: other.publicKey });
    expect(r.added).toBe(true);
    expect(r.manifest.layers).toHaveLength(2);
    expect(r.manifest.config.size).toBe(signatureConfigBlob([first.digest, second.digest]).length);
  });

  it('adds the same signature when its other annotations differ', () => {
    const once = appendSignature(undefined, payload, first);
    const withCert = signatureLayer(payload, first.annotations?.[COSIGN_ANNOTATIONS.signature] ?? '', {
      [COSIGN_ANNOTATIONS.certificate]: 'PEM',
    });
    expect(appendSignature(once.manifest, payload, withCert).added).toBe(true);
  });

  it('keeps a Docker-typed manifest Docker-typed', () => {
    const base = appendSignature(undefined, payload, first).manifest;
    const docker: ImageManifest = {
      ...base,
      mediaType: MediaType.dockerManifest,
      config: { ...base.config, mediaType: MediaType.dockerConfig },
    };
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const r = appendSignature(
      docker,
      payload,
      signatureLayer(payload, signPayload(other.privateKey, payload)),
    );
    expect(r.mediaType).toBe(MediaType.dockerManifest);
    expect(r.manifest.config.mediaType).toBe(MediaType.dockerConfig);
  });

  it(`refuses to grow past ${MAX_SIGNATURE_LAYERS} layers`, () => {
    const layers: Descriptor[] = Array.from({ length: MAX_SIGNATURE_LAYERS }, (_, i) =>
      signatureLayer(payload, Buffer.from(`sig-${i}`).toString('base64')),
    );
    const full = buildSignatureManifest(layers).manifest;
    expect(() => appendSignature(full, payload, first)).toThrow(/at most 1000/);
  });
});

describe('parseSignatureManifest', () => {
  it.each([
    ['not JSON', '{', /not JSON/],
    ['an index', '{"schemaVersion":2,"manifests":[]}', /not an image manifest/],
    [
      'a bad layer digest',
      '{"schemaVersion":2,"config":{"mediaType":"x","size":1,"digest":"sha256:00"},"layers":[]}',
      /not an image manifest/,
    ],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseSignatureManifest(Buffer.from(text))).toThrow(message);
  });
});
