// Image verification for the registry and admission: a requirement (trusted keys, keyless
// identities), signatures fetched at the edge and checked offline, outcomes cached by
// (repository, image digest, requirement fingerprint).
export { VerifierError } from './errors.js';
export type { VerifierErrorCode } from './errors.js';
export { TtlLruCache } from './cache.js';
export type { TtlLruOptions } from './cache.js';
export { normalizeRequirement } from './requirement.js';
export type { VerificationRequirement, TrustedSigner, NormalizedRequirement } from './requirement.js';
export { evaluateSignatures } from './evaluate.js';
export type {
  SignerId,
  VerifiedSignature,
  VerifiedAttestation,
  VerificationFailureCode,
  VerificationFailure,
  SignatureEvaluation,
} from './evaluate.js';
export { createImageVerifier } from './verifier.js';
export type {
  ImageVerifierOptions,
  CacheOutcome,
  ImageVerificationResult,
  ImageVerifierStats,
  CachingImageVerifier,
} from './verifier.js';
