import { KeyObject, createPublicKey, sign, verify } from 'node:crypto';
import { errorMessage } from '../../core/index.js';
import { CosignError } from './errors.js';

/** A public key given as a KeyObject, PEM text (`PUBLIC KEY`, SPKI) or DER SPKI bytes. */
export type VerificationKeyInput = KeyObject | string | Uint8Array;

/**
 * Reads a public key for verifying cosign signatures: ECDSA (P-256, P-384, P-521), RSA or
 * Ed25519, as PEM or DER SubjectPublicKeyInfo (what `cosign.pub` holds).
 * @throws CosignError COSIGN_PUBLIC_KEY_INVALID for unreadable keys, private keys and other types.
 */
export function parseVerificationKey(input: VerificationKeyInput): KeyObject {
  let key: KeyObject;
  if (input instanceof KeyObject) {
    key = input;
  } else {
    const isPem = typeof input === 'string';
    if (isPem && !/-----BEGIN PUBLIC KEY-----/.test(input)) {
      throw new CosignError(
        'COSIGN_PUBLIC_KEY_INVALID',
        'expected a PEM "PUBLIC KEY" (SubjectPublicKeyInfo), as in cosign.pub',
      );
    }
    try {
      key = isPem
        ? createPublicKey({ key: input, format: 'pem' })
        : createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' });
    } catch (err) {
      throw new CosignError('COSIGN_PUBLIC_KEY_INVALID', `cannot read the public key: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
  if (key.type !== 'public') {
    throw new CosignError('COSIGN_PUBLIC_KEY_INVALID', `expected a public key, got a ${key.type} key`);
  }
  const t = key.asymmetricKeyType;
  if (t !== 'ec' && t !== 'rsa' && t !== 'rsa-pss' && t !== 'ed25519') {
    throw new CosignError(
      'COSIGN_PUBLIC_KEY_INVALID',
      `unsupported public key type ${t ?? 'unknown'}: expected ECDSA, RSA or Ed25519`,
    );
  }
  return key;
}

// sigstore's default hash per ECDSA curve; SHA-256 is what cosign used for every curve before.
const CURVE_HASH: Readonly<Record<string, string>> = {
  prime256v1: 'sha256',
  secp384r1: 'sha384',
  secp521r1: 'sha512',
};

/**
 * Whether `signature` (ECDSA: ASN.1 DER; RSA: PKCS#1 v1.5 or PSS; Ed25519: raw) is `key`'s
 * signature over exactly `data`. Never throws for a bad signature, only returns false.
 */
export function verifySignatureBytes(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const attempt = (algorithm: string | undefined, k: Parameters<typeof verify>[2]): boolean => {
    try {
      return verify(algorithm, data, k, signature);
    } catch {
      return false;
    }
  };
  const t = key.asymmetricKeyType;
  if (t === 'ec') {
    const preferred = CURVE_HASH[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? 'sha256';
    const k = { key, dsaEncoding: 'der' as const };
    return attempt(preferred, k) || (preferred !== 'sha256' && attempt('sha256', k));
  }
  if (t === 'rsa' || t === 'rsa-pss') return attempt('sha256', key);
  // Pure Ed25519. cosign's default for Ed25519 keys is Ed25519ph, which Node cannot check.
  if (t === 'ed25519') return attempt(undefined, key);
  // parseVerificationKey refuses other key types; no signature verifies with them.
  return false;
}

/**
 * Signs payload bytes as `cosign sign` does (ECDSA with SHA-256 for P-256, DER-encoded; RSA
 * PKCS#1 v1.5 with SHA-256) and returns the signature in standard base64.
 * @throws CosignError COSIGN_PRIVATE_KEY_INVALID for non-private keys and Ed25519 (cosign signs
 *   Ed25519 as Ed25519ph, which Node cannot produce).
 */
export function signPayload(privateKey: KeyObject, payload: Uint8Array): string {
  if (privateKey.type !== 'private') {
    throw new CosignError(
      'COSIGN_PRIVATE_KEY_INVALID',
      `expected a private key, got a ${privateKey.type} key`,
    );
  }
  const t = privateKey.asymmetricKeyType;
  if (t === 'ec') {
    const hash = CURVE_HASH[privateKey.asymmetricKeyDetails?.namedCurve ?? ''] ?? 'sha256';
    return sign(hash, payload, { key: privateKey, dsaEncoding: 'der' }).toString('base64');
  }
  if (t === 'rsa') return sign('sha256', payload, privateKey).toString('base64');
  throw new CosignError(
    'COSIGN_PRIVATE_KEY_INVALID',
    `cannot sign with a ${t ?? 'unknown'} key: expected ECDSA or RSA`,
  );
}
