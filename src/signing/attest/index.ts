// Attestations in cosign's format: in-toto statements about an image digest, signed as DSSE
// envelopes and stored as layers of the `sha256-<hex>.att` manifest.
export { AttestationError } from './errors.js';
export type { AttestationErrorCode } from './errors.js';
export {
  COSIGN_CUSTOM_PREDICATE_TYPE,
  COSIGN_VULN_PREDICATE_TYPE,
  SPDX_PREDICATE_TYPE,
  CYCLONEDX_PREDICATE_TYPE,
  PREDICATE_TYPES,
  predicateTypeFor,
} from './predicate-type.js';
export {
  IN_TOTO_STATEMENT_V01,
  IN_TOTO_STATEMENT_V1,
  inTotoStatement,
  cosignPredicate,
} from './statement.js';
export type { StatementSubject, CosignPredicateOptions } from './statement.js';
export { cosignVulnPredicate, parseCosignVulnPredicate } from './vuln.js';
export type { CosignVulnPredicate, VulnScanFacts } from './vuln.js';
export {
  DSSE_ENVELOPE_MEDIA_TYPE,
  MAX_DSSE_ENVELOPE_BYTES,
  signDsseEnvelope,
  parseDsseEnvelope,
  verifyDsseEnvelope,
} from './dsse.js';
export type { DsseEnvelope, DsseCheck } from './dsse.js';
export {
  PREDICATE_TYPE_ANNOTATION,
  attestationTag,
  attestationLayer,
  appendAttestation,
} from './manifest.js';
export type { AppendAttestationOptions, AppendAttestationResult } from './manifest.js';
export { verifyAttestations, candidatesFromAttestationManifest } from './verify.js';
export type {
  AttestationCandidate,
  AttestationExpectations,
  AttestationResult,
  AttestationVerification,
} from './verify.js';
export { fetchAttestations, pushAttestation, attestImage, verifyImageAttestations } from './registry.js';
export type {
  FetchedAttestations,
  PushAttestationOptions,
  PushAttestationResult,
  AttestImageOptions,
  AttestImageResult,
  VerifyImageAttestationsOptions,
  ImageAttestationVerification,
} from './registry.js';
