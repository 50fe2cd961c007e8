import type { KeyObject } from 'node:crypto';
import { digestAlgorithm, digestOf, truncateForMessage, tryParseDigest } from '../../core/index.js';
import { sameRepository, tryParseImageRef, type RepositoryRef } from '../../imageref/index.js';
import type { ImageManifest } from '../../oci/index.js';
import { verifySignatureBytes } from './crypto.js';
import { COSIGN_ANNOTATIONS } from './manifest.js';
import { cosignDockerReference, tryParseSimpleSigningPayload, type SimpleSigningPayload } from './payload.js';

/** One signature to check: a payload blob as stored and the signature over it. */
export type SignatureCandidate = {
  /** The payload blob bytes exactly as stored (undefined when the blob could not be had). */
  readonly payload: Uint8Array | undefined;
  /** Base64 signature from the `dev.cosignproject.cosign/signature` annotation. */
  readonly signature: string | undefined;
  /** All annotations of the layer (certificate, bundle, ...). */
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  /** The digest the manifest gives for the payload; the payload bytes must hash to it. */
  readonly layerDigest?: string | undefined;
  /** Where the candidate came from, for messages: `sha256-….sig layer 2`. */
  readonly source?: string | undefined;
  /** Why the payload is missing (a fetch error, say), reported with `payload-missing`. */
  readonly payloadError?: string | undefined;
};

/** Why a candidate failed, in the order the checks run. */
export type SignatureFailureCode =
  | 'payload-missing'
  | 'payload-digest-mismatch'
  | 'signature-missing'
  | 'signature-malformed'
  | 'signature-invalid'
  | 'payload-invalid'
  | 'digest-mismatch'
  | 'reference-mismatch'
  | 'annotation-mismatch'
  /** Sigstore bundles: unreadable, or of a kind this check cannot verify (keyless without a trusted root). */
  | 'bundle-invalid'
  | 'bundle-unsupported'
  /** A bundle whose statement is not a cosign signature (an attestation, say). */
  | 'predicate-mismatch'
  /** Keyless: the chain, SCT, transparency-log or timestamp checks against the trusted root failed. */
  | 'trust-failed'
  /** Keyless: the certificate's identity or issuer is not the one required. */
  | 'identity-mismatch';

export type SignatureFailure = { readonly code: SignatureFailureCode; readonly message: string };

export type CandidateResult =
  | {
      readonly ok: true;
      readonly index: number;
      readonly source: string;
      readonly payload: SimpleSigningPayload;
      /** The verified bytes, for printing exactly what was signed. */
      readonly payloadBytes: Uint8Array;
      readonly signature: string;
    }
  | {
      readonly ok: false;
      readonly index: number;
      readonly source: string;
      readonly failure: SignatureFailure;
    };

/** What a signature must say to count for this image. */
export type SimpleSignatureExpectations = {
  /** The image's resolved manifest digest; the payload must name exactly this digest. */
  readonly imageDigest: string;
  /** `-a key=value`: each must be present in the payload's `optional` with this string value. */
  readonly annotations?: Readonly<Record<string, string>> | undefined;
} & (
  | {
      /**
       * The repository being verified. The payload's `docker-reference` must name the same one
       * (registry host case-insensitive, `index.docker.io` = `docker.io`). cosign itself does
       * not check this; we do, so that a signature copied from another repository does not count.
       */
      readonly reference: RepositoryRef;
      readonly ignoreReference?: false | undefined;
    }
  | { readonly reference?: RepositoryRef | undefined; readonly ignoreReference: true }
);

export type SignatureVerification = {
  /** True when at least one candidate verified. */
  readonly verified: boolean;
  readonly results: readonly CandidateResult[];
};

// Go's base64.StdEncoding is strict: standard alphabet, padding required.
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Checks the signature of a candidate whose payload and base64 signature are well-formed;
 * returns the failure, or undefined when it holds.
 */
export type SignatureCheck = (
  payload: Uint8Array,
  signatureBase64: string,
  candidate: SignatureCandidate,
) => SignatureFailure | undefined;

function checkCandidate(
  c: SignatureCandidate,
  checkSignature: SignatureCheck,
  expect: SimpleSignatureExpectations,
):
  | { failure: SignatureFailure }
  | { payload: SimpleSigningPayload; payloadBytes: Uint8Array; signature: string } {
  const fail = (code: SignatureFailureCode, message: string): { failure: SignatureFailure } => ({
    failure: { code, message },
  });
  const bytes = c.payload;
  if (bytes === undefined) {
    return fail(
      'payload-missing',
      `the payload blob could not be read${c.payloadError !== undefined ? `: ${truncateForMessage(c.payloadError, 200)}` : ''}`,
    );
  }
  if (c.layerDigest !== undefined) {
    const want = tryParseDigest(c.layerDigest);
    const have = digestOf(bytes, want !== undefined ? digestAlgorithm(want) : 'sha256');
    // An unparseable layer digest never matches: the bytes would be unbound to the manifest.
    if (want === undefined || have !== want) {
      return fail(
        'payload-digest-mismatch',
        `the payload hashes to ${have}, but the manifest names ${truncateForMessage(c.layerDigest, 80)}`,
      );
    }
  }
  const sig = c.signature;
  if (sig === undefined || sig === '')
    return fail('signature-missing', 'the layer has no signature annotation');
  if (!BASE64_RE.test(sig))
    return fail('signature-malformed', 'the signature annotation is not standard base64');
  const sigFailure = checkSignature(bytes, sig, c);
  if (sigFailure !== undefined) return { failure: sigFailure };
  const payload = tryParseSimpleSigningPayload(bytes);
  if (payload === undefined) {
    return fail('payload-invalid', 'the signed payload is not a simple-signing payload');
  }
  if (payload.dockerManifestDigest !== expect.imageDigest) {
    return fail(
      'digest-mismatch',
      `the signature is for digest ${truncateForMessage(payload.dockerManifestDigest, 80)}, but the image resolved to ${expect.imageDigest}`,
    );
  }
  if (expect.ignoreReference !== true) {
    const named = tryParseImageRef(payload.dockerReference);
    if (named === undefined || !sameRepository(named, expect.reference)) {
      return fail(
        'reference-mismatch',
        `the signature names repository ${truncateForMessage(payload.dockerReference, 120)}, not ${cosignDockerReference(expect.reference)} (use ignoreReference to accept it)`,
      );
    }
  }
  for (const [k, v] of Object.entries(expect.annotations ?? {})) {
    const have = payload.optional?.[k];
    if (have !== v) {
      return fail(
        'annotation-mismatch',
        have === undefined
          ? `the payload has no annotation ${truncateForMessage(k, 60)}`
          : `annotation ${truncateForMessage(k, 60)} is ${truncateForMessage(JSON.stringify(have), 60)}, expected ${truncateForMessage(JSON.stringify(v), 60)}`,
      );
    }
  }
  return { payload, payloadBytes: bytes, signature: sig };
}

/**
 * Verifies cosign simple-signing signatures with one public key, offline. For each candidate:
 * the payload matches its layer digest, the signature verifies over the stored payload bytes
 * (never re-serialized), the payload names the image's digest and repository, and it carries
 * every required annotation. Failures are returned per candidate, not thrown.
 */
export function verifySimpleSignatures(
  candidates: readonly SignatureCandidate[],
  key: KeyObject,
  expect: SimpleSignatureExpectations,
): SignatureVerification {
  return verifySimpleSignaturesWith(
    candidates,
    (payload, sig) =>
      verifySignatureBytes(key, payload, Buffer.from(sig, 'base64'))
        ? undefined
        : { code: 'signature-invalid', message: 'the signature does not verify with the given public key' },
    expect,
  );
}

/**
 * verifySimpleSignatures with another way of checking each signature (keyless: certificate,
 * transparency log and identity against a trusted root); the payload claims are checked alike.
 */
export function verifySimpleSignaturesWith(
  candidates: readonly SignatureCandidate[],
  checkSignature: SignatureCheck,
  expect: SimpleSignatureExpectations,
): SignatureVerification {
  const results = candidates.map((c, index): CandidateResult => {
    const source = c.source ?? `signature ${index + 1}`;
    const r = checkCandidate(c, checkSignature, expect);
    return 'failure' in r
      ? { ok: false, index, source, failure: r.failure }
      : { ok: true, index, source, ...r };
  });
  return { verified: results.some((r) => r.ok), results };
}

/**
 * The candidates of a signature manifest: one per layer, with its payload looked up by layer
 * digest in `payloads` (blobs fetched at the edge; a missing one gives `payload-missing`).
 */
export function candidatesFromSignatureManifest(
  manifest: ImageManifest,
  payloads: ReadonlyMap<string, Uint8Array>,
  source = 'signature manifest',
): SignatureCandidate[] {
  return manifest.layers.map((layer, i) => ({
    payload: payloads.get(layer.digest),
    signature: layer.annotations?.[COSIGN_ANNOTATIONS.signature],
    annotations: layer.annotations,
    layerDigest: layer.digest,
    source: `${source} layer ${i + 1}`,
  }));
}
