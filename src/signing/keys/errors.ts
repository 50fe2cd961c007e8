import { PortcullisError } from '../../core/index.js';

/** Codes for key files that cannot be read, decrypted or written. */
export type KeyErrorCode =
  /** Not a PEM block, bad base64, a malformed envelope, or DER that is not a key. */
  | 'KEY_INVALID'
  /** A well-formed key of a type or size cosign does not sign with (DSA, X25519, RSA-1024, …). */
  | 'KEY_UNSUPPORTED'
  /** An envelope with a KDF, cipher or scrypt cost cosign refuses. */
  | 'KEY_ENVELOPE_UNSUPPORTED'
  /** The envelope did not authenticate: wrong password (or a corrupted file). */
  | 'KEY_PASSWORD_WRONG'
  /** The envelope decrypts to a SEC1 `EC PRIVATE KEY`, which cosign refuses (it needs PKCS#8). */
  | 'KEY_SEC1_IN_ENVELOPE'
  /** No password available: no environment variable and no terminal to prompt on. */
  | 'KEY_PASSWORD_MISSING'
  /** The password and its confirmation differ. */
  | 'KEY_PASSWORD_MISMATCH'
  /** Writing a key pair would replace an existing file. */
  | 'KEY_FILE_EXISTS'
  /** The key file does not exist. */
  | 'KEY_NOT_FOUND';

/** Thrown for key files that cannot be read, decrypted or written. Messages never hold secrets. */
export class KeyError extends PortcullisError<KeyErrorCode> {}
