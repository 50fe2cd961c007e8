import { createHash, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { truncateForMessage } from '../../core/index.js';
import {
  parseVerificationKey,
  type KeylessIdentity,
  type SigstoreTrustedRoot,
  type VerificationKeyInput,
} from '../cosign/index.js';
import { predicateTypeFor } from '../attest/index.js';
import { publicKeyHint } from '../keys/index.js';
import { VerifierError } from './errors.js';

/** What an image must carry to be trusted: a signature by one of the keys or identities. */
export type VerificationRequirement = {
  /** Trusted public keys: KeyObjects, or PEM (`PUBLIC KEY`, `RSA PUBLIC KEY`, a certificate). */
  readonly keys?: readonly VerificationKeyInput[] | undefined;
  /** Trusted keyless signers (certificate SAN and OIDC issuer, matched exactly); need `trustedRoot`. */
  readonly identities?: readonly KeylessIdentity[] | undefined;
  /**
   * The Sigstore trusted root. Required with identities; with keys it makes a transparency-log
   * proof required as cosign does by default (without it keys are checked as with
   * `--insecure-ignore-tlog`).
   */
  readonly trustedRoot?: SigstoreTrustedRoot | undefined;
  /** `-a key=value`: annotations every accepted signature must carry. */
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  /** Accept signatures whose `docker-reference` names another repository. */
  readonly ignoreReference?: boolean | undefined;
  /**
   * Attestations the image must also carry, each signed by one of the trusted keys: cosign
   * `--type` names (`cyclonedx`, `spdx`, `vuln`, `slsaprovenance`, ...) or predicate type URIs.
   * Checked as `cosign verify-attestation --key` (keyless attestations are not supported yet).
   */
  readonly attestations?: readonly string[] | undefined;
};

/** One trusted signer of a normalized requirement. */
export type TrustedSigner =
  | {
      readonly kind: 'key';
      readonly key: KeyObject;
      /** base64(sha256(SPKI DER)), the key hint cosign bundles carry: names the key in results. */
      readonly fingerprint: string;
    }
  | { readonly kind: 'identity'; readonly identity: KeylessIdentity };

/** A requirement with its keys parsed, its signers in a canonical order, and its fingerprint. */
export type NormalizedRequirement = {
  readonly signers: readonly TrustedSigner[];
  readonly trustedRoot: SigstoreTrustedRoot | undefined;
  readonly annotations: Readonly<Record<string, string>>;
  readonly ignoreReference: boolean;
  /** Required attestation predicate type URIs, sorted, without duplicates. */
  readonly attestationTypes: readonly string[];
  /**
   * sha256 over everything that decides the outcome besides the image: key fingerprints,
   * identities, trusted root, annotations, ignoreReference, attestation types. Order and
   * duplicates do not matter.
   */
  readonly fingerprint: string;
};

// The plain-data parts, validated once here; keys are checked by parsing them.
const identitySchema = z.object({
  subjectAlternativeName: z.string().min(1).max(4096),
  issuer: z.string().min(1).max(4096),
});
const plainSchema = z.object({
  identities: z.array(identitySchema).max(1000).optional(),
  annotations: z.record(z.string().max(4096), z.string().max(4096)).optional(),
  ignoreReference: z.boolean().optional(),
  attestations: z.array(z.string().min(1).max(2048)).max(100).optional(),
});

// Fingerprints are computed once per object: verifiers see the same KeyObjects and trusted
// roots on every call, and hashing a trusted root is not free.
const keyFingerprints = new WeakMap<KeyObject, string>();
const rootIds = new WeakMap<SigstoreTrustedRoot, string>();
// PEM strings are values, not objects: the last few parsed are kept (a policy names a handful
// of keys), so that a cache hit does not parse PEM on every call.
const pemKeys = new Map<string, KeyObject>();
const MAX_PEM_KEYS = 256;

function parseKey(input: VerificationKeyInput): KeyObject {
  if (typeof input !== 'string') return parseVerificationKey(input);
  let key = pemKeys.get(input);
  if (key === undefined) {
    key = parseVerificationKey(input);
    if (pemKeys.size >= MAX_PEM_KEYS) pemKeys.clear();
    pemKeys.set(input, key);
  }
  return key;
}

function keyFingerprint(key: KeyObject): string {
  let fp = keyFingerprints.get(key);
  if (fp === undefined) {
    fp = publicKeyHint(key);
    keyFingerprints.set(key, fp);
  }
  return fp;
}

function trustedRootId(root: SigstoreTrustedRoot): string {
  let id = rootIds.get(root);
  if (id === undefined) {
    id = createHash('sha256').update(JSON.stringify(root.root)).digest('hex');
    rootIds.set(root, id);
  }
  return id;
}

/**
 * Parses and canonicalizes a requirement: keys parsed (PEM accepted), duplicates dropped,
 * signers sorted, and the fingerprint that keys the verification cache.
 * @throws VerifierError VERIFIER_REQUIREMENT_INVALID (no signer, identities without a trusted
 *   root, attestations without a key, malformed identities or annotations); CosignError for an
 *   unreadable key; AttestationError ATTESTATION_TYPE_INVALID for an unknown attestation type.
 */
export function normalizeRequirement(req: VerificationRequirement): NormalizedRequirement {
  const plain = plainSchema.safeParse({
    identities: req.identities,
    annotations: req.annotations,
    ignoreReference: req.ignoreReference,
    attestations: req.attestations,
  });
  if (!plain.success) {
    const issue = plain.error.issues[0];
    throw new VerifierError(
      'VERIFIER_REQUIREMENT_INVALID',
      `verification requirement: ${truncateForMessage(issue?.path.join('.') ?? '', 60)}: ${issue?.message ?? 'unexpected shape'}`,
    );
  }
  const keys = new Map<string, KeyObject>();
  for (const input of req.keys ?? []) {
    const key = parseKey(input);
    keys.set(keyFingerprint(key), key);
  }
  const identities = new Map<string, KeylessIdentity>();
  for (const id of plain.data.identities ?? []) {
    identities.set(JSON.stringify([id.issuer, id.subjectAlternativeName]), id);
  }
  if (keys.size === 0 && identities.size === 0) {
    throw new VerifierError(
      'VERIFIER_REQUIREMENT_INVALID',
      'the verification requirement names no trusted key and no keyless identity',
    );
  }
  if (identities.size > 0 && req.trustedRoot === undefined) {
    throw new VerifierError(
      'VERIFIER_REQUIREMENT_INVALID',
      'keyless identities need a trusted root to verify certificates against',
    );
  }
  const attestationTypes = [...new Set((plain.data.attestations ?? []).map(predicateTypeFor))].sort();
  if (attestationTypes.length > 0 && keys.size === 0) {
    throw new VerifierError(
      'VERIFIER_REQUIREMENT_INVALID',
      'required attestations are verified with trusted keys; keyless attestations are not supported yet',
    );
  }
  const byId = <T>(m: Map<string, T>): [string, T][] =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const sortedKeys = byId(keys);
  const sortedIdentities = byId(identities);
  const annotations = Object.fromEntries(
    Object.entries(plain.data.annotations ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const ignoreReference = plain.data.ignoreReference ?? false;
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify({
        keys: sortedKeys.map(([fp]) => fp),
        identities: sortedIdentities.map(([id]) => id),
        root: req.trustedRoot === undefined ? '' : trustedRootId(req.trustedRoot),
        annotations,
        ignoreReference,
        attestationTypes,
      }),
    )
    .digest('hex');
  const signers: TrustedSigner[] = [
    ...sortedKeys.map(([fingerprint, key]): TrustedSigner => ({ kind: 'key', key, fingerprint })),
    ...sortedIdentities.map(([, identity]): TrustedSigner => ({ kind: 'identity', identity })),
  ];
  return {
    signers,
    trustedRoot: req.trustedRoot,
    annotations,
    ignoreReference,
    attestationTypes,
    fingerprint,
  };
}
