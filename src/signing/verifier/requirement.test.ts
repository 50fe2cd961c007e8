import { generateKeyPairSync } from 'node:crypto';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { describe, expect, it } from 'vitest';
import { CYCLONEDX_PREDICATE_TYPE } from '../attest/index.js';
import { publicKeyHint } from '../keys/index.js';
import { normalizeRequirement, type VerificationRequirement } from './requirement.js';
import { VerifierError } from './errors.js';

const alice = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const bob = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const bobPem = bob.export({ type: 'spki', format: 'pem' }).toString();

describe('requirement fingerprints (the cache key part)', () => {
  it.each<[string, VerificationRequirement, VerificationRequirement]>([
    ['key order', { keys: [alice, bob] }, { keys: [bob, alice] }],
    ['PEM or KeyObject for the same key', { keys: [alice, bob] }, { keys: [alice, bobPem] }],
    ['a key given twice', { keys: [alice, alice] }, { keys: [alice] }],
    [
      'annotation order',
      { keys: [alice], annotations: { a: '1', b: '2' } },
      { keys: [alice], annotations: { b: '2', a: '1' } },
    ],
    [
      'attestation type names or URIs, their order and repeats',
      { keys: [alice], attestations: ['spdx', 'cyclonedx'] },
      { keys: [alice], attestations: [CYCLONEDX_PREDICATE_TYPE, 'spdxjson', 'cyclonedx'] },
    ],
  ])('do not depend on %s', (_what, a, b) => {
    expect(normalizeRequirement(a).fingerprint).toBe(normalizeRequirement(b).fingerprint);
  });

  it.each<[string, VerificationRequirement, VerificationRequirement]>([
    ['another key', { keys: [alice] }, { keys: [bob] }],
    ['one key more', { keys: [alice] }, { keys: [alice, bob] }],
    ['an annotation', { keys: [alice] }, { keys: [alice], annotations: { a: '1' } }],
    [
      'an annotation value',
      { keys: [alice], annotations: { a: '1' } },
      { keys: [alice], annotations: { a: '2' } },
    ],
    ['ignoreReference', { keys: [alice] }, { keys: [alice], ignoreReference: true }],
    ['a required attestation', { keys: [alice] }, { keys: [alice], attestations: ['vuln'] }],
  ])('change with %s', (_what, a, b) => {
    expect(normalizeRequirement(a).fingerprint).not.toBe(normalizeRequirement(b).fingerprint);
  });

  it('names each key by its cosign key hint, in a canonical order', () => {
    const r = normalizeRequirement({ keys: [bobPem, alice] });
    const hints = [publicKeyHint(alice), publicKeyHint(bob)].sort();
    expect(r.signers.map((s) => s.kind === 'key' && s.fingerprint)).toEqual(hints);
  });
});

describe('unusable requirements are refused before any registry is asked', () => {
  it.each<[string, VerificationRequirement, RegExp]>([
    ['no signer at all', {}, /names no trusted key and no keyless identity/],
    ['empty key and identity lists', { keys: [], identities: [] }, /names no trusted key/],
    [
      'identities without a trusted root',
      { identities: [{ issuer: 'https://accounts.example', subjectAlternativeName: 'a@example.com' }] },
      /need a trusted root/,
    ],
    [
      'attestations required of keyless signers only',
      {
        identities: [{ issuer: 'https://accounts.example', subjectAlternativeName: 'a@example.com' }],
        trustedRoot: { root: TrustedRoot.fromJSON({}) },
        attestations: ['cyclonedx'],
      },
      /keyless attestations are not supported yet/,
    ],
    [
      'an identity with an empty issuer',
      { keys: [alice], identities: [{ issuer: '', subjectAlternativeName: 'a@example.com' }] },
      /identities\.0\.issuer/,
    ],
  ])('%s', (_what, req, message) => {
    let caught: unknown;
    try {
      normalizeRequirement(req);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(VerifierError);
    expect(caught instanceof VerifierError && caught.code).toBe('VERIFIER_REQUIREMENT_INVALID');
    expect(caught instanceof VerifierError && caught.message).toMatch(message);
  });

  it('an attestation type that is neither a cosign name nor a URI is refused', () => {
    expect(() => normalizeRequirement({ keys: [alice], attestations: ['sbom please'] })).toThrow(
      /invalid predicate type "sbom please"/,
    );
  });

  it('a private key PEM is refused as a trusted key', () => {
    const priv = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => normalizeRequirement({ keys: [priv] })).toThrow(/PUBLIC KEY/);
  });
});
