import type { KeyObject } from 'node:crypto';
import { digestAlgorithm, digestOf, truncateForMessage, tryParseDigest } from '../../core/index.js';
import type { ImageManifest } from '../../oci/index.js';
import { checkStatement, type InTotoStatement } from '../cosign/bundle.js';
import type { SignatureFailure } from '../cosign/verify.js';
import { AttestationError } from './errors.js';
import { parseDsseEnvelope, verifyDsseEnvelope } from './dsse.js';
import { IN_TOTO_STATEMENT_V01, IN_TOTO_STATEMENT_V1 } from './statement.js';

/** One attestation to check: a DSSE envelope as stored. */
export type AttestationCandidate = {
  /** The envelope bytes exactly as stored (undefined when the blob could not be had). */
  readonly envelope: Uint8Array | undefined;
  /** The digest the manifest gives for the envelope; the bytes must hash to it. */
  readonly layerDigest?: string | undefined;
  /** Where it came from, for messages: `sha256-….att layer 2`. */
  readonly source?: string | undefined;
  /** Why the envelope is missing (a fetch error, say). */
  readonly fetchError?: string | undefined;
};

/** What an attestation must say to count for this image. */
export type AttestationExpectations = {
  /** The image's resolved manifest digest; some statement subject must carry it. */
  readonly imageDigest: string;
  /** The predicate type URI required (see predicateTypeFor); undefined accepts any. */
  readonly predicateType?: string | undefined;
};

export type AttestationResult =
  | {
      readonly ok: true;
      readonly index: number;
      readonly source: string;
      readonly statement: InTotoStatement;
      /** The verified statement bytes, for printing exactly what was signed. */
      readonly statementBytes: Buffer;
    }
  | {
      readonly ok: false;
      readonly index: number;
      readonly source: string;
      readonly failure: SignatureFailure;
    };

export type AttestationVerification = {
  /** True when at least one candidate verified. */
  readonly verified: boolean;
  readonly results: readonly AttestationResult[];
};

function checkAttestation(
  c: AttestationCandidate,
  key: KeyObject,
  expect: AttestationExpectations,
): { failure: SignatureFailure } | { statement: InTotoStatement; statementBytes: Buffer } {
  const fail = (code: SignatureFailure['code'], message: string): { failure: SignatureFailure } => ({
    failure: { code, message },
  });
  const bytes = c.envelope;
  if (bytes === undefined) {
    return fail(
      'payload-missing',
      `the envelope blob could not be read${c.fetchError !== undefined ? `: ${truncateForMessage(c.fetchError, 200)}` : ''}`,
    );
  }
  if (c.layerDigest !== undefined) {
    const want = tryParseDigest(c.layerDigest);
    const have = digestOf(bytes, want !== undefined ? digestAlgorithm(want) : 'sha256');
    if (want === undefined || have !== want) {
      return fail(
        'payload-digest-mismatch',
        `the envelope hashes to ${have}, but the manifest names ${truncateForMessage(c.layerDigest, 80)}`,
      );
    }
  }
  let envelope;
  try {
    envelope = parseDsseEnvelope(bytes);
  } catch (err) {
    if (!(err instanceof AttestationError)) throw err;
    return fail('payload-invalid', err.message);
  }
  const dsse = verifyDsseEnvelope(envelope, key);
  if (!dsse.ok) return { failure: dsse.failure };
  const checked = checkStatement(dsse.payload, { imageDigest: expect.imageDigest, anyPredicateType: true });
  if (!checked.ok) return { failure: checked.failure };
  const { statement } = checked;
  if (statement._type !== IN_TOTO_STATEMENT_V01 && statement._type !== IN_TOTO_STATEMENT_V1) {
    return fail(
      'payload-invalid',
      `the statement type is ${truncateForMessage(statement._type, 80)}, not an in-toto statement`,
    );
  }
  if (expect.predicateType !== undefined && statement.predicateType !== expect.predicateType) {
    return fail(
      'predicate-mismatch',
      `the predicate type is ${truncateForMessage(statement.predicateType, 100)}, not ${expect.predicateType}`,
    );
  }
  return { statement, statementBytes: checked.statementBytes };
}

/**
 * Verifies attestations with one public key, offline, as `cosign verify-attestation --key
 * --insecure-ignore-tlog --type T` does: each envelope matches its layer digest, is a DSSE
 * envelope of an in-toto statement whose signature verifies over the PAE, the statement has a
 * subject with the image's digest, and its predicate type is the one asked for. Failures are
 * returned per candidate, not thrown.
 */
export function verifyAttestations(
  candidates: readonly AttestationCandidate[],
  key: KeyObject,
  expect: AttestationExpectations,
): AttestationVerification {
  const results = candidates.map((c, index): AttestationResult => {
    const source = c.source ?? `attestation ${index + 1}`;
    const r = checkAttestation(c, key, expect);
    return 'failure' in r
      ? { ok: false, index, source, failure: r.failure }
      : { ok: true, index, source, ...r };
  });
  return { verified: results.some((r) => r.ok), results };
}

/**
 * The candidates of an `.att` manifest: one per layer, its envelope looked up by layer digest
 * in `envelopes` (blobs fetched at the edge; a missing one gives `payload-missing`).
 */
export function candidatesFromAttestationManifest(
  manifest: ImageManifest,
  envelopes: ReadonlyMap<string, Uint8Array>,
  source = 'attestation manifest',
): AttestationCandidate[] {
  return manifest.layers.map((layer, i) => ({
    envelope: envelopes.get(layer.digest),
    layerDigest: layer.digest,
    source: `${source} layer ${i + 1}`,
  }));
}
