import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { errorMessage } from '../../core/index.js';
import { keyAlgorithmOf, publicKeyHint, type KeyAlgorithm } from './algorithm.js';
import { KeyError } from './errors.js';
import { parsePem } from './pem.js';
import { readKeyFile } from './private.js';

/** A public key to verify with, the algorithm cosign uses with it and its bundle key hint. */
export type VerificationKey = {
  readonly publicKey: KeyObject;
  readonly algorithm: KeyAlgorithm;
  /** base64(sha256(SPKI DER)). */
  readonly hint: string;
  /** Where the key came from: a `PUBLIC KEY`, an `RSA PUBLIC KEY` or a certificate's key. */
  readonly pemType: 'PUBLIC KEY' | 'RSA PUBLIC KEY' | 'CERTIFICATE';
};

function toKey(der: Buffer, pemType: VerificationKey['pemType']): KeyObject {
  try {
    if (pemType === 'CERTIFICATE') return new X509Certificate(der).publicKey;
    return createPublicKey({ key: der, format: 'der', type: pemType === 'PUBLIC KEY' ? 'spki' : 'pkcs1' });
  } catch (err) {
    throw new KeyError(
      'KEY_INVALID',
      `PEM "${pemType}" does not hold a valid public key: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * Reads a public key: PEM `PUBLIC KEY` (SPKI, what `cosign.pub` holds), PKCS#1 `RSA PUBLIC
 * KEY`, or a `CERTIFICATE` (its subject key; the certificate itself is not checked here).
 * @throws KeyError KEY_INVALID (not a public key PEM), KEY_UNSUPPORTED (key type or size).
 */
export function parsePublicKey(pem: string | Uint8Array): VerificationKey {
  const block = parsePem(pem);
  if (block.type !== 'PUBLIC KEY' && block.type !== 'RSA PUBLIC KEY' && block.type !== 'CERTIFICATE') {
    throw new KeyError(
      'KEY_INVALID',
      `expected a PEM "PUBLIC KEY" (or a certificate), got "${block.type}"${block.type.includes('PRIVATE') ? ': pass the .pub file, not the private key' : ''}`,
    );
  }
  const publicKey = toKey(block.der, block.type);
  return {
    publicKey,
    algorithm: keyAlgorithmOf(publicKey),
    hint: publicKeyHint(publicKey),
    pemType: block.type,
  };
}

/**
 * Reads the public key file `file` (see `parsePublicKey`). Errors keep their code and name the file.
 * @throws KeyError as parsePublicKey, and KEY_NOT_FOUND.
 */
export async function readPublicKeyFile(file: string): Promise<VerificationKey> {
  const data = await readKeyFile(file);
  try {
    return parsePublicKey(data);
  } catch (err) {
    if (err instanceof KeyError) throw new KeyError(err.code, `${file}: ${err.message}`, { cause: err });
    throw err;
  }
}
