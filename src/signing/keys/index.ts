export { KeyError } from './errors.js';
export type { KeyErrorCode } from './errors.js';
export { keyAlgorithmOf, publicKeyHint } from './algorithm.js';
export type { KeyAlgorithm } from './algorithm.js';
export { SCRYPT_ACCEPTED, SCRYPT_STANDARD, openKeyEnvelope, sealKeyEnvelope } from './envelope.js';
export type { ScryptParams } from './envelope.js';
export {
  SIGSTORE_PRIVATE_KEY_PEM,
  COSIGN_PRIVATE_KEY_PEM,
  isEncryptedPrivateKeyPem,
  parsePrivateKey,
  readPrivateKeyFile,
} from './private.js';
export type { PrivateKeyPemType, SigningKeyPair, PasswordSource } from './private.js';
export { parsePublicKey, readPublicKeyFile } from './public.js';
export type { VerificationKey } from './public.js';
export { encryptPrivateKey, generateKeyPair, writeKeyPairFiles } from './generate.js';
export type { KeyPairPem, KeyPairFiles } from './generate.js';
