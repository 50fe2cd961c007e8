import type { Digest } from '../../core/index.js';
import type { RepositoryRef } from '../../imageref/index.js';
import {
  CosignError,
  keyWithTransparencyLogCheck,
  parseSigstoreBundle,
  verifyBundleWithKey,
  verifyImageBundle,
  verifyKeylessSimpleSignatures,
  verifySimpleSignatures,
  verifySimpleSignaturesWith,
  type BundleExpectations,
  type FetchedBundle,
  type FetchedSignatures,
  type InTotoStatement,
  type SigstoreBundle,
  type SignatureFailureCode,
  type SignatureVerification,
  type SimpleSignatureExpectations,
  type SimpleSigningPayload,
} from '../cosign/index.js';
import { verifyAttestations, type FetchedAttestations } from '../attest/index.js';
import type { NormalizedRequirement, TrustedSigner } from './requirement.js';

/** Who a verified signature is by, as named in results (never the key material itself). */
export type SignerId =
  | { readonly kind: 'key'; readonly fingerprint: string }
  | { readonly kind: 'identity'; readonly issuer: string; readonly subjectAlternativeName: string };

/** A signature that verified with a trusted signer. */
export type VerifiedSignature =
  | {
      readonly kind: 'simple-signing';
      readonly signer: SignerId;
      /** Where it was found: `sha256-….sig layer 2`. */
      readonly source: string;
      readonly payload: SimpleSigningPayload;
      /** The payload bytes exactly as signed. */
      readonly payloadBytes: Uint8Array;
      readonly signature: string;
    }
  | {
      readonly kind: 'bundle';
      readonly signer: SignerId;
      /** `referrer sha256:…`. */
      readonly source: string;
      readonly statement: InTotoStatement;
    };

/** An attestation of a required type that verified with a trusted key. */
export type VerifiedAttestation = {
  readonly predicateType: string;
  readonly signer: SignerId;
  /** `sha256-….att layer 1`. */
  readonly source: string;
  readonly statement: InTotoStatement;
};

/**
 * Why a signature or attestation did not count, or why there was nothing to check:
 * `no-signatures` (no `.sig` layer and no bundle), `attestation-missing` (no verified
 * attestation of a required type).
 */
export type VerificationFailureCode = SignatureFailureCode | 'no-signatures' | 'attestation-missing';

/** One candidate that failed with one signer (or, for `no-signatures`, the image itself). */
export type VerificationFailure = {
  /** The candidate's source, or the image reference for `no-signatures`. */
  readonly candidate: string;
  /** The signer it was checked with; undefined when no signer applies (a bundle that cannot be read). */
  readonly signer: SignerId | undefined;
  readonly code: VerificationFailureCode;
  readonly message: string;
};

/** The outcome of checking fetched signatures against a requirement: data, never thrown. */
export type SignatureEvaluation = {
  readonly imageDigest: Digest;
  /**
   * True when at least one signature verified with a trusted signer and, for each required
   * attestation type, an attestation of that type verified with a trusted key.
   */
  readonly satisfied: boolean;
  readonly verified: readonly VerifiedSignature[];
  /** The verified attestations of the required types (empty when none are required). */
  readonly attestations: readonly VerifiedAttestation[];
  /** Each candidate that verified with no signer, once per signer tried. */
  readonly failures: readonly VerificationFailure[];
  /** Fetch problems that did not stop the rest (referrers listing failed, too many layers). */
  readonly problems: readonly string[];
};

function signerId(s: TrustedSigner): SignerId {
  return s.kind === 'key'
    ? { kind: 'key', fingerprint: s.fingerprint }
    : {
        kind: 'identity',
        issuer: s.identity.issuer,
        subjectAlternativeName: s.identity.subjectAlternativeName,
      };
}

function checkSimple(
  fetched: FetchedSignatures,
  signer: TrustedSigner,
  req: NormalizedRequirement,
  expect: SimpleSignatureExpectations,
): SignatureVerification {
  if (signer.kind === 'identity') {
    // normalizeRequirement refuses identities without a trusted root; a hand-made requirement
    // still gets a reason per candidate.
    if (req.trustedRoot === undefined) {
      return verifySimpleSignaturesWith(
        fetched.candidates,
        () => ({ code: 'bundle-unsupported', message: 'keyless signers need a trusted root' }),
        expect,
      );
    }
    return verifyKeylessSimpleSignatures(
      fetched.candidates,
      { trustedRoot: req.trustedRoot, identity: signer.identity },
      expect,
    );
  }
  return req.trustedRoot !== undefined
    ? verifySimpleSignaturesWith(
        fetched.candidates,
        keyWithTransparencyLogCheck({ trustedRoot: req.trustedRoot, key: signer.key }),
        expect,
      )
    : verifySimpleSignatures(fetched.candidates, signer.key, expect);
}

function checkBundle(
  bundle: SigstoreBundle,
  signer: TrustedSigner,
  req: NormalizedRequirement,
  expect: BundleExpectations,
): ReturnType<typeof verifyBundleWithKey> | ReturnType<typeof verifyImageBundle> {
  if (signer.kind === 'identity') {
    if (req.trustedRoot === undefined) {
      return { ok: false, failure: { code: 'bundle-unsupported', message: 'no trusted root' } };
    }
    return verifyImageBundle(bundle, { trustedRoot: req.trustedRoot, identity: signer.identity }, expect);
  }
  return req.trustedRoot !== undefined
    ? verifyImageBundle(bundle, { trustedRoot: req.trustedRoot, key: signer.key }, expect)
    : verifyBundleWithKey(bundle, signer.key, expect);
}

function parseFetchedBundle(
  b: FetchedBundle,
): { readonly bundle: SigstoreBundle } | { readonly failure: VerificationFailure } {
  const candidate = `referrer ${b.referrer.digest}`;
  if (b.bytes === undefined) {
    return {
      failure: {
        candidate,
        signer: undefined,
        code: 'payload-missing',
        message: `the bundle could not be read: ${b.error ?? ''}`,
      },
    };
  }
  try {
    return { bundle: parseSigstoreBundle(b.bytes) };
  } catch (err) {
    if (!(err instanceof CosignError)) throw err;
    return { failure: { candidate, signer: undefined, code: 'bundle-invalid', message: err.message } };
  }
}

/**
 * Checks an image's fetched signatures (`.sig` layers and bundle referrers) against every
 * trusted signer of the requirement, offline, and, when the requirement names attestation
 * types, its fetched `.att` attestations against the trusted keys. Each candidate counts once:
 * it is reported as verified by the first signer (in the requirement's canonical order) it
 * verifies with, and as failures (one per signer) only when no signer accepts it.
 */
export function evaluateSignatures(
  fetched: FetchedSignatures,
  repository: RepositoryRef,
  req: NormalizedRequirement,
  fetchedAttestations?: FetchedAttestations,
): SignatureEvaluation {
  const imageDigest = fetched.imageDigest;
  const expect: SimpleSignatureExpectations = req.ignoreReference
    ? { imageDigest, annotations: req.annotations, ignoreReference: true }
    : { imageDigest, annotations: req.annotations, reference: repository };
  const verified: VerifiedSignature[] = [];
  const failures: VerificationFailure[] = [];

  const simple = req.signers.map((s) => ({
    signer: signerId(s),
    check: checkSimple(fetched, s, req, expect),
  }));
  fetched.candidates.forEach((_c, i) => {
    const ok = simple.find((s) => s.check.results[i]?.ok === true);
    const r = ok?.check.results[i];
    if (ok !== undefined && r?.ok === true) {
      verified.push({
        kind: 'simple-signing',
        signer: ok.signer,
        source: r.source,
        payload: r.payload,
        payloadBytes: r.payloadBytes,
        signature: r.signature,
      });
      return;
    }
    for (const s of simple) {
      const f = s.check.results[i];
      if (f?.ok === false) {
        failures.push({
          candidate: f.source,
          signer: s.signer,
          code: f.failure.code,
          message: f.failure.message,
        });
      }
    }
  });

  const bundleExpect: BundleExpectations = { imageDigest, annotations: req.annotations };
  for (const b of fetched.bundles) {
    const parsed = parseFetchedBundle(b);
    if ('failure' in parsed) {
      failures.push(parsed.failure);
      continue;
    }
    const source = `referrer ${b.referrer.digest}`;
    const tried: VerificationFailure[] = [];
    let accepted = false;
    for (const s of req.signers) {
      const r = checkBundle(parsed.bundle, s, req, bundleExpect);
      if (r.ok) {
        verified.push({ kind: 'bundle', signer: signerId(s), source, statement: r.statement });
        accepted = true;
        break;
      }
      tried.push({
        candidate: source,
        signer: signerId(s),
        code: r.failure.code,
        message: r.failure.message,
      });
    }
    if (!accepted) failures.push(...tried);
  }

  if (fetched.candidates.length === 0 && fetched.bundles.length === 0) {
    failures.push({
      candidate: fetched.tag,
      signer: undefined,
      code: 'no-signatures',
      message: `no signatures found for ${imageDigest}: no ${fetched.tag} manifest and no Sigstore bundle referrers`,
    });
  }
  const att =
    req.attestationTypes.length > 0
      ? evaluateAttestations(fetchedAttestations, imageDigest, req)
      : { attestations: [], failures: [], problems: [] };
  failures.push(...att.failures);
  const attested = req.attestationTypes.every((t) => att.attestations.some((a) => a.predicateType === t));
  return {
    imageDigest,
    satisfied: verified.length > 0 && attested,
    verified,
    attestations: att.attestations,
    failures,
    problems: [...fetched.problems, ...att.problems],
  };
}

/**
 * The attestation half: each `.att` candidate checked with every trusted key (any predicate
 * type), credited to the first key it verifies with; then each required type must be among the
 * verified statements. Candidates no key accepts are reported once per key.
 */
function evaluateAttestations(
  fetched: FetchedAttestations | undefined,
  imageDigest: Digest,
  req: NormalizedRequirement,
): {
  attestations: VerifiedAttestation[];
  failures: VerificationFailure[];
  problems: readonly string[];
} {
  const attestations: VerifiedAttestation[] = [];
  const failures: VerificationFailure[] = [];
  const candidates = fetched?.candidates ?? [];
  const byKey = req.signers.flatMap((s) =>
    s.kind === 'key'
      ? [{ signer: signerId(s), check: verifyAttestations(candidates, s.key, { imageDigest }) }]
      : [],
  );
  candidates.forEach((_c, i) => {
    for (const k of byKey) {
      const r = k.check.results[i];
      if (r?.ok === true) {
        if (req.attestationTypes.includes(r.statement.predicateType)) {
          attestations.push({
            predicateType: r.statement.predicateType,
            signer: k.signer,
            source: r.source,
            statement: r.statement,
          });
        }
        return;
      }
    }
    for (const k of byKey) {
      const r = k.check.results[i];
      if (r?.ok === false) {
        failures.push({
          candidate: r.source,
          signer: k.signer,
          code: r.failure.code,
          message: r.failure.message,
        });
      }
    }
  });
  for (const t of req.attestationTypes) {
    if (!attestations.some((a) => a.predicateType === t)) {
      failures.push({
        candidate: fetched?.tag ?? 'attestations',
        signer: undefined,
        code: 'attestation-missing',
        message: `no attestation of type ${t} verified with a trusted key${candidates.length === 0 ? ` (${fetched?.tag ?? 'the .att tag'} holds none)` : ''}`,
      });
    }
  }
  return { attestations, failures, problems: fetched?.problems ?? [] };
}
