import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
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

  it('a private key PEM is refused as a trusted key', () => {
    const priv = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => normalizeRequirement({ keys: [priv] })).toThrow(/PUBLIC KEY/);
  });
});
