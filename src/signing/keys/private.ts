import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../../core/index.js';
import { keyAlgorithmOf, publicKeyHint, type KeyAlgorithm } from './algorithm.js';
import { openKeyEnvelope } from './envelope.js';
import { KeyError } from './errors.js';
import { MAX_KEY_FILE_BYTES, parsePem } from './pem.js';

/** PEM types of cosign's encrypted private keys; SIGSTORE is what cosign writes today. */
export const SIGSTORE_PRIVATE_KEY_PEM = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const COSIGN_PRIVATE_KEY_PEM = 'ENCRYPTED COSIGN PRIVATE KEY';

/** The PEM types `parsePrivateKey` reads. */
export type PrivateKeyPemType =
  typeof SIGSTORE_PRIVATE_KEY_PEM | typeof COSIGN_PRIVATE_KEY_PEM | 'PRIVATE KEY';

/** A private key ready to sign, with its public half and the algorithm cosign uses with it. */
export type SigningKeyPair = {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly algorithm: KeyAlgorithm;
  /** base64(sha256(SPKI DER)), the key hint of Sigstore bundles. */
  readonly hint: string;
  /** The PEM type the key was read from. */
  readonly pemType: PrivateKeyPemType;
  readonly encrypted: boolean;
};

/**
 * The password for an encrypted key: the value, or a function asked only when the key turns
 * out to be encrypted (so callers prompt only when needed, like cosign's PassFunc).
 */
export type PasswordSource = string | (() => Promise<string>);

/** True when `pem` holds one of cosign's encrypted private key types (so a password is needed). */
export function isEncryptedPrivateKeyPem(pem: string | Uint8Array): boolean {
  try {
    const { type } = parsePem(pem);
    return type === SIGSTORE_PRIVATE_KEY_PEM || type === COSIGN_PRIVATE_KEY_PEM;
  } catch {
    return false;
  }
}

function fromPkcs8(der: Buffer, pemType: PrivateKeyPemType): SigningKeyPair {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (err) {
    if (pemType !== 'PRIVATE KEY') {
      // cosign's LoadPrivateKey parses the plaintext with x509.ParsePKCS8PrivateKey only.
      if (parsesAs(der, 'sec1')) {
        throw new KeyError(
          'KEY_SEC1_IN_ENVELOPE',
          'the encrypted key holds a SEC1 "EC PRIVATE KEY", which cosign refuses: the envelope must hold PKCS#8; re-import it with "cosign import-key-pair" or regenerate it',
        );
      }
      if (parsesAs(der, 'pkcs1')) {
        throw new KeyError(
          'KEY_UNSUPPORTED',
          'the encrypted key holds a PKCS#1 "RSA PRIVATE KEY", which cosign refuses: the envelope must hold PKCS#8',
        );
      }
      throw new KeyError('KEY_INVALID', `the decrypted key is not PKCS#8 DER: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    throw new KeyError('KEY_INVALID', `not a PKCS#8 private key: ${errorMessage(err)}`, { cause: err });
  }
  const algorithm = keyAlgorithmOf(privateKey);
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    algorithm,
    hint: publicKeyHint(publicKey),
    pemType,
    encrypted: pemType !== 'PRIVATE KEY',
  };
}

function parsesAs(der: Buffer, type: 'sec1' | 'pkcs1'): boolean {
  try {
    createPrivateKey({ key: der, format: 'der', type });
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a private key: cosign's `ENCRYPTED SIGSTORE PRIVATE KEY` or `ENCRYPTED COSIGN PRIVATE
 * KEY` (scrypt + nacl/secretbox over PKCS#8), or an unencrypted PKCS#8 `PRIVATE KEY`; ECDSA
 * P-256/P-384/P-521, RSA 2048/3072/4096 or Ed25519. The password is used only for encrypted keys.
 * @throws KeyError KEY_INVALID, KEY_UNSUPPORTED, KEY_ENVELOPE_UNSUPPORTED, KEY_PASSWORD_WRONG,
 *   KEY_SEC1_IN_ENVELOPE.
 */
export async function parsePrivateKey(
  pem: string | Uint8Array,
  password: PasswordSource,
): Promise<SigningKeyPair> {
  const block = parsePem(pem);
  switch (block.type) {
    case SIGSTORE_PRIVATE_KEY_PEM:
    case COSIGN_PRIVATE_KEY_PEM: {
      const pw = typeof password === 'string' ? password : await password();
      const der = await openKeyEnvelope(block.der, pw);
      try {
        return fromPkcs8(der, block.type);
      } finally {
        der.fill(0);
      }
    }
    case 'PRIVATE KEY':
      try {
        return fromPkcs8(block.der, 'PRIVATE KEY');
      } finally {
        block.der.fill(0);
      }
    case 'EC PRIVATE KEY':
    case 'RSA PRIVATE KEY':
      throw new KeyError(
        'KEY_UNSUPPORTED',
        `"${block.type}" keys are not read directly: convert to PKCS#8 ("openssl pkcs8 -topk8 -nocrypt") or import with "cosign import-key-pair"`,
      );
    case 'ENCRYPTED PRIVATE KEY':
      throw new KeyError(
        'KEY_UNSUPPORTED',
        'PKCS#8 "ENCRYPTED PRIVATE KEY" (OpenSSL encryption) is not supported: import it with "cosign import-key-pair" to get a cosign key',
      );
    case 'PUBLIC KEY':
    case 'CERTIFICATE':
      throw new KeyError('KEY_INVALID', `expected a private key, got a PEM "${block.type}"`);
    default:
      throw new KeyError(
        'KEY_UNSUPPORTED',
        `unsupported PEM type "${block.type}": expected ${SIGSTORE_PRIVATE_KEY_PEM}, ${COSIGN_PRIVATE_KEY_PEM} or PRIVATE KEY`,
      );
  }
}

/** Reads a key file, refusing ones too large to be keys. */
export async function readKeyFile(file: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new KeyError('KEY_NOT_FOUND', `key file ${file} does not exist`, { cause: err });
    throw new KeyError('KEY_INVALID', `cannot read key file ${file}: ${code ?? errorMessage(err)}`, {
      cause: err,
    });
  }
  if (data.length > MAX_KEY_FILE_BYTES) {
    throw new KeyError('KEY_INVALID', `${file} is not a key file: larger than ${MAX_KEY_FILE_BYTES} bytes`);
  }
  return data;
}

/**
 * Reads and, when encrypted, decrypts the private key file `file` (see `parsePrivateKey`).
 * Errors keep their code and name the file.
 * @throws KeyError as parsePrivateKey, and KEY_NOT_FOUND.
 */
export async function readPrivateKeyFile(file: string, password: PasswordSource): Promise<SigningKeyPair> {
  const data = await readKeyFile(file);
  try {
    return await parsePrivateKey(data, password);
  } catch (err) {
    if (err instanceof KeyError) throw new KeyError(err.code, `${file}: ${err.message}`, { cause: err });
    throw err;
  } finally {
    data.fill(0);
  }
}
