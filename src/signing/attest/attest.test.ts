import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { preAuthEncoding } from '../cosign/bundle.js';
import { signatureConfigBlob } from '../cosign/manifest.js';
import { AttestationError } from './errors.js';
import { DSSE_ENVELOPE_MEDIA_TYPE, parseDsseEnvelope, signDsseEnvelope, verifyDsseEnvelope } from './dsse.js';
import {
  PREDICATE_TYPE_ANNOTATION,
  appendAttestation,
  attestationLayer,
  attestationTag,
} from './manifest.js';
import { predicateTypeFor } from './predicate-type.js';
import { cosignPredicate, inTotoStatement } from './statement.js';
import { verifyAttestations, type AttestationCandidate } from './verify.js';
import { cosignVulnPredicate, parseCosignVulnPredicate } from './vuln.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const digest = `sha256:${'ab'.repeat(32)}`;
const subject = { name: '127.0.0.1:5000/app', digest };

const decode = (envelopeBytes: Buffer): string =>
  Buffer.from(parseDsseEnvelope(envelopeBytes).payload, 'base64').toString('utf8');

describe('DSSE pre-authentication encoding', () => {
  it.each([
    // The worked example in secure-systems-lab/dsse protocol.md.
    [
      'http://example.com/HelloWorld',
      'hello world',
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    ],
    ['', '', 'DSSEv1 0  0 '],
    // Lengths count UTF-8 bytes, not characters.
    ['tÿpe', 'ünï', 'DSSEv1 5 tÿpe 5 ünï'],
  ])('PAE(%j, %j)', (type, body, want) => {
    expect(preAuthEncoding(type, Buffer.from(body, 'utf8')).toString('utf8')).toBe(want);
  });
});

describe('predicate types, as cosign maps --type', () => {
  it.each([
    ['custom', 'https://cosign.sigstore.dev/attestation/v1'],
    ['vuln', 'https://cosign.sigstore.dev/attestation/vuln/v1'],
    ['spdx', 'https://spdx.dev/Document'],
    ['spdxjson', 'https://spdx.dev/Document'],
    ['cyclonedx', 'https://cyclonedx.org/bom'],
    ['slsaprovenance', 'https://slsa.dev/provenance/v0.2'],
    ['slsaprovenance1', 'https://slsa.dev/provenance/v1'],
    ['openvex', 'https://openvex.dev/ns'],
    ['https://example.com/my-predicate/v1', 'https://example.com/my-predicate/v1'],
    ['urn:example:predicate', 'urn:example:predicate'],
  ])('%s → %s', (type, uri) => {
    expect(predicateTypeFor(type)).toBe(uri);
  });

  it.each(['', 'sbom', 'not a uri', 'constructor', '__proto__', '/relative/path'])('refuses %j', (type) => {
    expect(() => predicateTypeFor(type)).toThrow(AttestationError);
  });
});

describe('statements, byte for byte as cosign writes them', () => {
  const cosignPayload = (file: string): string =>
    decode(readFileSync(sharedData('sigstore', 'cosign', 'pkg', 'policy', 'testdata', 'valid', file)));

  it('a vuln predicate file with no fields gives cosign’s statement (zero values, zero times)', () => {
    const want = cosignPayload('vuln');
    const { predicateType, predicate } = cosignPredicate('vuln', Buffer.from('{}'));
    const got = inTotoStatement(predicateType, predicate, {
      name: 'registry.local:5000/knative/demo',
      digest: 'sha256:3c19aa980a9c5709a2c96c2d0779febf6e5e453b92b172ce84cb85fdaf695373',
    });
    expect(got.toString('utf8')).toBe(want);
  });

  it('a custom predicate wraps the file text with a timestamp', () => {
    const want = cosignPayload('custom');
    const { predicateType, predicate } = cosignPredicate('custom', Buffer.from('foobar test attestation'), {
      now: new Date('2022-04-07T19:22:25.678Z'),
    });
    const got = inTotoStatement(predicateType, predicate, {
      name: 'registry.local:5000/knative/demo',
      digest: 'sha256:6c6fd6a4115c6e998ff357cd914680931bb9a6c1a7cd5f5cb2f5e1c0932ab6ed',
    });
    expect(got.toString('utf8')).toBe(want);
  });

  it('the statement in cosign’s real OCI attestation bundle (Go escaping of the file text)', () => {
    const bundle = JSON.parse(
      readFileSync(sharedData('signing', 'cosign-oci-attestation.sigstore.json'), 'utf8'),
    ) as {
      dsseEnvelope: { payload: string };
    };
    const want = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8');
    const { predicateType, predicate } = cosignPredicate('custom', Buffer.from('{"foo": "bar"}\n'), {
      now: new Date('2025-02-28T19:18:11Z'),
    });
    const got = inTotoStatement(predicateType, predicate, {
      name: '127.0.0.1:60943/repo',
      digest: 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4',
    });
    expect(got.toString('utf8')).toBe(want);
  });

  it('JSON predicates keep their content with keys sorted as Go maps; spdx embeds text', () => {
    const json = cosignPredicate(
      'cyclonedx',
      Buffer.from('{"specVersion":"1.6","bomFormat":"CycloneDX","__proto__":1}'),
    );
    expect(inTotoStatement(json.predicateType, json.predicate, subject).toString()).toBe(
      `{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://cyclonedx.org/bom","subject":[{"name":"127.0.0.1:5000/app","digest":{"sha256":"${'ab'.repeat(32)}"}}],"predicate":{"__proto__":1,"bomFormat":"CycloneDX","specVersion":"1.6"}}`,
    );
    const text = cosignPredicate('spdx', Buffer.from('SPDXVersion: SPDX-2.3\n'));
    expect(text).toEqual({
      predicateType: 'https://spdx.dev/Document',
      predicate: 'SPDXVersion: SPDX-2.3\n',
    });
  });

  it('the vuln URI given verbatim takes cosign’s generic path (JSON object, keys sorted), not the vuln struct', () => {
    const { predicate } = cosignPredicate(
      'https://cosign.sigstore.dev/attestation/vuln/v1',
      Buffer.from('{"scanner":{"uri":"x"},"extra":1}'),
    );
    expect(
      inTotoStatement('https://cosign.sigstore.dev/attestation/vuln/v1', predicate, subject)
        .toString()
        .endsWith('"predicate":{"extra":1,"scanner":{"uri":"x"}}}'),
    ).toBe(true);
  });

  it.each([
    ['cyclonedx', 'not json'],
    ['vuln', '{"metadata":{"scanStartedOn":"yesterday"}}'],
    ['vuln', '{"scanner":{"uri":5}}'],
    ['https://example.com/p', '[1,2]'],
  ])('refuses a %s predicate %j', (type, text) => {
    expect(() => cosignPredicate(type, Buffer.from(text))).toThrow(
      expect.objectContaining({ code: 'ATTESTATION_PREDICATE_INVALID' }),
    );
  });
});

describe('the cosign vuln predicate', () => {
  it('is built from plain scan facts and reads back unchanged', () => {
    const p = cosignVulnPredicate({
      scanner: {
        uri: 'pkg:npm/portcullis@0.1.0',
        version: '0.1.0',
        db: { uri: 'osv', version: '2026-11-27' },
      },
      result: { vulnerabilities: [{ id: 'CVE-2019-1551' }] },
      scanStartedOn: new Date('2026-11-27T01:02:03.400Z'),
      scanFinishedOn: new Date('2026-11-27T01:02:05Z'),
    });
    expect(p.metadata).toEqual({
      scanStartedOn: '2026-11-27T01:02:03.4Z',
      scanFinishedOn: '2026-11-27T01:02:05Z',
    });
    expect(p.invocation).toEqual({ parameters: undefined, uri: '', event_id: '', 'builder.id': '' });
    expect(parseCosignVulnPredicate(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  it('reads cosign’s sample predicate file', () => {
    const sample = JSON.parse(
      readFileSync(
        sharedData('sigstore', 'cosign', 'test', 'testdata', 'attestations', 'vuln-predicate.json'),
        'utf8',
      ),
    ) as unknown;
    const p = parseCosignVulnPredicate(sample);
    expect(p.scanner.uri).toBe('fakescanner.example.com/cosign-testing');
    expect(p.metadata.scanFinishedOn).toBe('2022-04-12T00:10:00Z');
  });
});

describe('DSSE envelopes', () => {
  it('a real cosign envelope verifies with the certificate key of its bundle, and not after a flipped byte', () => {
    const bundle = JSON.parse(
      readFileSync(sharedData('signing', 'cosign-oci-attestation.sigstore.json'), 'utf8'),
    ) as {
      verificationMaterial: { certificate: { rawBytes: string } };
      dsseEnvelope: unknown;
    };
    const key = new X509Certificate(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, 'base64'))
      .publicKey;
    const env = parseDsseEnvelope(Buffer.from(JSON.stringify(bundle.dsseEnvelope)));
    expect(verifyDsseEnvelope(env, key).ok).toBe(true);
    expect(verifyDsseEnvelope(env, publicKey)).toMatchObject({
      ok: false,
      failure: { code: 'signature-invalid' },
    });
    const payload = Buffer.from(env.payload, 'base64');
    payload[20] = (payload[20] ?? 0) ^ 1;
    expect(verifyDsseEnvelope({ ...env, payload: payload.toString('base64') }, key).ok).toBe(false);
  });

  it('ours have cosign’s field order and verify with the signer’s key only', () => {
    const env = signDsseEnvelope(Buffer.from('{"a":1}'), privateKey);
    expect(env.toString()).toMatch(
      /^\{"payloadType":"application\/vnd\.in-toto\+json","payload":"eyJhIjoxfQ==","signatures":\[\{"keyid":"","sig":"[A-Za-z0-9+/=]+"\}\]\}$/,
    );
    expect(verifyDsseEnvelope(parseDsseEnvelope(env), publicKey)).toMatchObject({
      ok: true,
      payload: Buffer.from('{"a":1}'),
    });
    expect(verifyDsseEnvelope(parseDsseEnvelope(env), other.publicKey).ok).toBe(false);
  });

  it('refuses another payload type even with a good signature', () => {
    const env = parseDsseEnvelope(signDsseEnvelope(Buffer.from('x'), privateKey, 'text/plain'));
    expect(verifyDsseEnvelope(env, publicKey)).toMatchObject({
      ok: false,
      failure: { code: 'payload-invalid' },
    });
    expect(verifyDsseEnvelope(env, publicKey, 'text/plain').ok).toBe(true);
  });

  it.each(['', 'null', '{}', '{"payloadType":"a","payload":"!!","signatures":[]}'])('refuses %j', (text) => {
    expect(() => parseDsseEnvelope(Buffer.from(text))).toThrow(
      expect.objectContaining({ code: 'ATTESTATION_ENVELOPE_INVALID' }),
    );
  });
});

describe('verifying attestations', () => {
  const envelopeFor = (type: string, subjectDigest = digest, key = privateKey): Buffer => {
    const { predicateType, predicate } = cosignPredicate(type, Buffer.from('{"bomFormat":"CycloneDX"}'));
    return signDsseEnvelope(
      inTotoStatement(predicateType, predicate, { ...subject, digest: subjectDigest }),
      key,
    );
  };
  const candidate = (envelope: Buffer): AttestationCandidate => ({
    envelope,
    layerDigest: digestOf(envelope),
  });
  const expectCyclonedx = { imageDigest: digest, predicateType: predicateTypeFor('cyclonedx') };

  it('accepts a signed statement about this digest of the requested type', () => {
    const r = verifyAttestations([candidate(envelopeFor('cyclonedx'))], publicKey, expectCyclonedx);
    expect(r.verified).toBe(true);
    expect(r.results[0]).toMatchObject({
      ok: true,
      statement: { predicateType: 'https://cyclonedx.org/bom' },
    });
  });

  it.each<[string, () => AttestationCandidate, string]>([
    ['another predicate type', () => candidate(envelopeFor('spdxjson')), 'predicate-mismatch'],
    [
      'another subject digest',
      () => candidate(envelopeFor('cyclonedx', `sha256:${'cd'.repeat(32)}`)),
      'digest-mismatch',
    ],
    [
      'another signer',
      () => candidate(envelopeFor('cyclonedx', digest, other.privateKey)),
      'signature-invalid',
    ],
    [
      'bytes changed after signing (digest no longer matches the layer)',
      () => {
        const env = envelopeFor('cyclonedx');
        const layerDigest = digestOf(env);
        const at = env.indexOf('"sig":"') + 10;
        env[at] = (env[at] ?? 0) ^ 1;
        return { envelope: env, layerDigest };
      },
      'payload-digest-mismatch',
    ],
    [
      'a statement swapped under the signature (layer digest rewritten)',
      () => {
        const env = JSON.parse(envelopeFor('cyclonedx').toString()) as { payload: string };
        const statement = Buffer.from(env.payload, 'base64').toString().replace('CycloneDX', 'CycloneDx');
        return candidate(
          Buffer.from(JSON.stringify({ ...env, payload: Buffer.from(statement).toString('base64') })),
        );
      },
      'signature-invalid',
    ],
    ['a missing blob', () => ({ envelope: undefined, fetchError: 'blob unknown' }), 'payload-missing'],
    ['not an envelope', () => candidate(Buffer.from('{"payloadType":1}')), 'payload-invalid'],
  ])('rejects %s', (_name, make, code) => {
    const r = verifyAttestations([make()], publicKey, expectCyclonedx);
    expect(r.verified).toBe(false);
    expect(r.results[0]).toMatchObject({ ok: false, failure: { code } });
  });

  it('one good attestation among bad ones is enough, and each failure is reported', () => {
    const r = verifyAttestations(
      [candidate(envelopeFor('vuln')), candidate(envelopeFor('cyclonedx'))],
      publicKey,
      expectCyclonedx,
    );
    expect(r.verified).toBe(true);
    expect(r.results.map((x) => x.ok)).toEqual([false, true]);
  });
});

describe('.att manifests', () => {
  const env1 = signDsseEnvelope(Buffer.from('{"x":1}'), privateKey);
  const env2 = signDsseEnvelope(Buffer.from('{"x":2}'), privateKey);

  it('tag, layer media type and annotations are cosign’s', () => {
    expect(attestationTag(digest)).toBe(`sha256-${'ab'.repeat(32)}.att`);
    const layer = attestationLayer(env1, 'https://cyclonedx.org/bom');
    expect(layer).toEqual({
      mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
      size: env1.length,
      digest: digestOf(env1),
      annotations: { 'dev.cosignproject.cosign/signature': '', predicateType: 'https://cyclonedx.org/bom' },
    });
  });

  it('appends with the signature manifests’ config blob, once per envelope, and --replace drops the same type', () => {
    const a = appendAttestation(undefined, attestationLayer(env1, 'T1'));
    expect(a.added).toBe(true);
    expect(a.config.equals(signatureConfigBlob([digestOf(env1)]))).toBe(true);
    const again = appendAttestation(a.manifest, attestationLayer(env1, 'T1'));
    expect(again.added).toBe(false);
    expect(again.manifest.layers).toHaveLength(1);
    const b = appendAttestation(a.manifest, attestationLayer(env2, 'T2'));
    expect(b.manifest.layers.map((l) => l.annotations?.[PREDICATE_TYPE_ANNOTATION])).toEqual(['T1', 'T2']);
    const c = appendAttestation(
      b.manifest,
      attestationLayer(signDsseEnvelope(Buffer.from('{}'), privateKey), 'T1'),
      {
        replace: true,
      },
    );
    expect(c.replaced).toBe(1);
    expect(c.manifest.layers.map((l) => l.annotations?.[PREDICATE_TYPE_ANNOTATION])).toEqual(['T2', 'T1']);
  });
});
