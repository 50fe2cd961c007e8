import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRepository } from '../../imageref/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { parseVerificationKey, signPayload } from './crypto.js';
import { CosignError } from './errors.js';
import { COSIGN_ANNOTATIONS, parseSignatureManifest } from './manifest.js';
import { simpleSigningPayload } from './payload.js';
import {
  candidatesFromSignatureManifest,
  verifySimpleSignatures,
  type SignatureCandidate,
  type SimpleSignatureExpectations,
} from './verify.js';

const dir = sharedData('signing', 'connaisseur-cosign-testimage');
const KEYS = ['alice', 'bob', 'charlie', 'default'] as const;
const key = (name: string): KeyObject => parseVerificationKey(readFileSync(`${dir}/${name}.key`, 'utf8'));
const TESTIMAGE = parseRepository('docker.io/securesystemsengineering/testimage');

/** The candidates of a real `.sig` manifest, payloads read from the data by layer digest. */
function realCandidates(imageHex: string): SignatureCandidate[] {
  const manifest = parseSignatureManifest(readFileSync(`${dir}/manifests/sha256-${imageHex}.sig.json`));
  const payloads = new Map(
    manifest.layers.map((l) => [l.digest, readFileSync(`${dir}/blobs/${l.digest.replace(':', '_')}.json`)]),
  );
  return candidatesFromSignatureManifest(manifest, payloads, `sha256-${imageHex.slice(0, 12)}.sig`);
}

const SINGLE = '071bf7a986f1ca9cb2a1f0bc8392822a7777f90d58f2d2c6f271913e08de7c81';
const TRIPLE = 'bfec161fecb0a887df7cb85e4da327c65986ccda7060cf3cd92171c6c90d7533';
const KEYLESS = '31dc72a13a0c34b40eb95419d2b2fd67320c856baf3b72da518023ee8d370aee';

const expectFor = (hex: string): SimpleSignatureExpectations => ({
  imageDigest: `sha256:${hex}`,
  reference: TESTIMAGE,
});

describe('the real signatures of connaisseur’s cosign test image', () => {
  // From EXPECTED-verification.tsv in the data: which key made which layer.
  const cases: [string, string, readonly (typeof KEYS)[number][]][] = [
    [SINGLE, 'one alice signature', ['alice']],
    [TRIPLE, 'alice, bob, charlie over one payload', ['alice', 'bob', 'charlie']],
  ];
  for (const [hex, what, signers] of cases) {
    for (const name of KEYS) {
      it(`${what}: ${name}'s key verifies ${signers.includes(name) ? 'only its own layer' : 'nothing'}`, () => {
        const r = verifySimpleSignatures(realCandidates(hex), key(name), expectFor(hex));
        const okLayers = r.results.filter((x) => x.ok).map((x) => x.index);
        const want = signers.flatMap((s, i) => (s === name ? [i] : []));
        expect(okLayers).toEqual(want);
        expect(r.verified).toBe(want.length > 0);
        for (const f of r.results) {
          if (!f.ok) expect(f.failure.code).toBe('signature-invalid');
        }
      });
    }
  }

  it('reports the verified payload and the layer it came from', () => {
    const r = verifySimpleSignatures(realCandidates(TRIPLE), key('bob'), expectFor(TRIPLE));
    const ok = r.results.find((x) => x.ok);
    expect(ok?.ok && ok.payload.dockerReference).toBe('index.docker.io/securesystemsengineering/testimage');
    expect(ok?.source).toBe('sha256-bfec161fecb0.sig layer 2');
  });

  it('does not verify the keyless signature with any key', () => {
    for (const name of KEYS) {
      const r = verifySimpleSignatures(realCandidates(KEYLESS), key(name), {
        imageDigest: `sha256:${KEYLESS}`,
        ignoreReference: true,
      });
      expect(r.verified).toBe(false);
    }
  });

  it('fails every layer when a byte of the payload is flipped (caught by the layer digest)', () => {
    const flipped = realCandidates(SINGLE).map((c) => {
      const p = Buffer.from(c.payload ?? []);
      p[40] = (p[40] ?? 0) ^ 1;
      return { ...c, payload: p };
    });
    const r = verifySimpleSignatures(flipped, key('alice'), expectFor(SINGLE));
    expect(r.verified).toBe(false);
    expect(r.results[0]?.ok === false && r.results[0].failure.code).toBe('payload-digest-mismatch');
  });

  it('fails when a byte of the payload is flipped and no layer digest is known (caught by the signature)', () => {
    const flipped = realCandidates(SINGLE).map((c) => {
      const p = Buffer.from(c.payload ?? []);
      p[40] = (p[40] ?? 0) ^ 1;
      return { ...c, payload: p, layerDigest: undefined };
    });
    const r = verifySimpleSignatures(flipped, key('alice'), expectFor(SINGLE));
    expect(r.results[0]?.ok === false && r.results[0].failure.code).toBe('signature-invalid');
  });

  it.each([0, 10, 40, 70])('fails when byte %i of the signature is flipped', (at) => {
    const tampered = realCandidates(SINGLE).map((c) => {
      const s = Buffer.from(c.signature ?? '', 'base64');
      s[at] = (s[at] ?? 0) ^ 0x10;
      return { ...c, signature: s.toString('base64') };
    });
    const r = verifySimpleSignatures(tampered, key('alice'), expectFor(SINGLE));
    expect(r.verified).toBe(false);
    expect(r.results[0]?.ok === false && r.results[0].failure.code).toBe('signature-invalid');
  });

  it('fails with a digest message when the image resolved to another digest', () => {
    const r = verifySimpleSignatures(realCandidates(SINGLE), key('alice'), expectFor(TRIPLE));
    expect(r.verified).toBe(false);
    const f = r.results[0];
    expect(f?.ok === false && f.failure.code).toBe('digest-mismatch');
    expect(f?.ok === false && f.failure.message).toBe(
      `the signature is for digest sha256:${SINGLE}, but the image resolved to sha256:${TRIPLE}`,
    );
  });

  it.each([
    ['docker.io/securesystemsengineering/testimage', true],
    ['index.docker.io/securesystemsengineering/testimage', true],
    ['securesystemsengineering/testimage', true],
    ['ghcr.io/securesystemsengineering/testimage', false],
    ['docker.io/securesystemsengineering/other', false],
  ])('checks the docker-reference against %s (same repository: %s)', (repo, same) => {
    const r = verifySimpleSignatures(realCandidates(SINGLE), key('alice'), {
      imageDigest: `sha256:${SINGLE}`,
      reference: parseRepository(repo),
    });
    expect(r.verified).toBe(same);
    if (!same) {
      expect(r.results[0]?.ok === false && r.results[0].failure.message).toMatch(
        /names repository index\.docker\.io\/securesystemsengineering\/testimage/,
      );
    }
    const relaxed = verifySimpleSignatures(realCandidates(SINGLE), key('alice'), {
      imageDigest: `sha256:${SINGLE}`,
      reference: parseRepository(repo),
      ignoreReference: true,
    });
    expect(relaxed.verified).toBe(true);
  });
});

describe('candidates that are not well-formed', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const repo = parseRepository('127.0.0.1:5000/app');
  const digest = 'sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f';
  const payload = simpleSigningPayload(repo, digest);
  const good = { payload, signature: signPayload(privateKey, payload) };
  const expectations = { imageDigest: digest, reference: repo };

  it.each([
    ['payload-missing', { ...good, payload: undefined }],
    ['signature-missing', { ...good, signature: undefined }],
    ['signature-missing', { ...good, signature: '' }],
    ['signature-malformed', { ...good, signature: 'not base64!' }],
    ['signature-malformed', { ...good, signature: `-_${good.signature.slice(2)}` }],
    [
      'payload-invalid',
      { payload: Buffer.from('{}'), signature: signPayload(privateKey, Buffer.from('{}')) },
    ],
    ['payload-digest-mismatch', { ...good, layerDigest: 'sha256:00' }],
  ])('%s', (code, candidate) => {
    const r = verifySimpleSignatures([candidate], publicKey, expectations);
    expect(r.results[0]?.ok === false && r.results[0].failure.code).toBe(code);
  });

  it('a well-formed candidate passes (so the cases above fail for their reason)', () => {
    expect(verifySimpleSignatures([good], publicKey, expectations).verified).toBe(true);
  });
});

describe('required annotations (-a key=value)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const repo = parseRepository('127.0.0.1:5000/app');
  const digest = 'sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f';
  const payload = simpleSigningPayload(repo, digest, { env: 'prod', team: 'a' });
  const candidates = [{ payload, signature: signPayload(privateKey, payload) }];

  it.each([
    [{}, true, ''],
    [{ env: 'prod' }, true, ''],
    [{ env: 'prod', team: 'a' }, true, ''],
    [{ env: 'dev' }, false, 'annotation env is "prod", expected "dev"'],
    [{ owner: 'x' }, false, 'the payload has no annotation owner'],
  ])('%j → verified %s', (annotations, ok, message) => {
    const r = verifySimpleSignatures(candidates, publicKey, {
      imageDigest: digest,
      reference: repo,
      annotations,
    });
    expect(r.verified).toBe(ok);
    if (!ok) {
      expect(r.results[0]?.ok === false && r.results[0].failure).toEqual({
        code: 'annotation-mismatch',
        message,
      });
    }
  });
});

describe('key types', () => {
  const repo = parseRepository('127.0.0.1:5000/app');
  const digest = 'sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f';
  const payload = simpleSigningPayload(repo, digest);

  it.each([
    ['ECDSA P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['ECDSA P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ])('%s signs and verifies through the PEM public key', (_name, pair) => {
    const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const r = verifySimpleSignatures(
      [{ payload, signature: signPayload(pair.privateKey, payload) }],
      parseVerificationKey(pem),
      { imageDigest: digest, reference: repo },
    );
    expect(r.verified).toBe(true);
  });

  it('verifies pure Ed25519 signatures and refuses to sign with Ed25519 (cosign uses Ed25519ph)', () => {
    const pair = generateKeyPairSync('ed25519');
    const signature = sign(undefined, payload, pair.privateKey).toString('base64');
    const der = pair.publicKey.export({ type: 'spki', format: 'der' });
    const r = verifySimpleSignatures([{ payload, signature }], parseVerificationKey(der), {
      imageDigest: digest,
      reference: repo,
    });
    expect(r.verified).toBe(true);
    expect(() => signPayload(pair.privateKey, payload)).toThrow(/Ed25519|ed25519/);
  });

  it.each([
    ['garbage PEM', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', /cannot read/],
    [
      'a private key PEM',
      generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
      /PUBLIC KEY/,
    ],
    ['an X25519 key', generateKeyPairSync('x25519').publicKey, /unsupported public key type x25519/],
    [
      'a private KeyObject',
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      /expected a public key/,
    ],
  ])('refuses %s as a verification key', (_name, input, message) => {
    expect(() => parseVerificationKey(input)).toThrow(message);
    expect(() => parseVerificationKey(input)).toThrow(CosignError);
  });

  it('the signature annotation key is the one cosign reads', () => {
    expect(COSIGN_ANNOTATIONS.signature).toBe('dev.cosignproject.cosign/signature');
  });
});
