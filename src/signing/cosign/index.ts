// The cosign wire format: simple-signing payloads, signature manifests at `sha256-<hex>.sig`,
// and offline verification of the signatures they hold.
export { CosignError } from './errors.js';
export type { CosignErrorCode } from './errors.js';
export {
  COSIGN_SIGNATURE_TYPE,
  MAX_SIMPLE_SIGNING_PAYLOAD_BYTES,
  cosignDockerReference,
  simpleSigningPayload,
  parseSimpleSigningPayload,
  tryParseSimpleSigningPayload,
  parseAnnotationFlags,
} from './payload.js';
export type { SimpleSigningPayload } from './payload.js';
export {
  SIMPLE_SIGNING_MEDIA_TYPE,
  COSIGN_ANNOTATIONS,
  MAX_SIGNATURE_LAYERS,
  signatureTag,
  signatureConfigBlob,
  signatureLayer,
  buildSignatureManifest,
  parseSignatureManifest,
  appendSignature,
} from './manifest.js';
export type { SignatureManifest, AppendSignatureOptions, AppendSignatureResult } from './manifest.js';
export { parseVerificationKey, verifySignatureBytes, signPayload } from './crypto.js';
export type { VerificationKeyInput } from './crypto.js';
export {
  verifySimpleSignatures,
  verifySimpleSignaturesWith,
  candidatesFromSignatureManifest,
} from './verify.js';
export type {
  SignatureCandidate,
  SignatureFailureCode,
  SignatureFailure,
  SignatureCheck,
  CandidateResult,
  SimpleSignatureExpectations,
  SignatureVerification,
} from './verify.js';
export {
  SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
  SIGSTORE_BUNDLE_MEDIA_TYPES,
  COSIGN_SIGN_PREDICATE_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  parseSigstoreBundle,
  preAuthEncoding,
  publicKeyHintOf,
  signatureBundle,
  verifyBundleWithKey,
} from './bundle.js';
export type { SigstoreBundle, InTotoStatement, BundleCheck, BundleExpectations } from './bundle.js';
export {
  parseTrustedRoot,
  verifySigstoreBundle,
  verifyImageBundle,
  keylessSignatureCheck,
  keyWithTransparencyLogCheck,
  verifyKeylessSimpleSignatures,
} from './sigstore.js';
export type {
  SigstoreTrustedRoot,
  KeylessIdentity,
  SigstoreVerifyOptions,
  SigstoreCheck,
  KeylessBundleCheck,
} from './sigstore.js';
export {
  fetchSignatures,
  pushSignature,
  pushSignatureBundle,
  resolveImageDigest,
  signImage,
  signImageWithBundle,
  verifyImage,
  verifyImageWith,
} from './registry.js';
export type {
  FetchedSignatures,
  FetchedBundle,
  BundleResult,
  ImageVerifier,
  FetchSignaturesOptions,
  PushSignatureOptions,
  PushSignatureResult,
  SignImageOptions,
  SignImageResult,
  VerifyImageOptions,
  ImageVerification,
} from './registry.js';
