import { createHash, type KeyObject } from 'node:crypto';
import { KeyError } from './errors.js';

/**
 * How cosign signs with a key, by key type: sigstore's `GetDefaultPublicKeyDetails` (the hash
 * follows the curve for ECDSA; RSA is PKCS#1 v1.5 with SHA-256 at 2048, 3072 or 4096 bits;
 * Ed25519 is Ed25519ph, SHA-512 pre-hash, because cosign loads keys with `WithED25519ph`).
 * `id` is sigstore's `--signing-algorithm` name, `details` the protobuf-specs
 * `PublicKeyDetails` name used in bundles and trusted roots.
 */
export type KeyAlgorithm =
  | {
      readonly keyType: 'ecdsa';
      readonly curve: 'P-256' | 'P-384' | 'P-521';
      readonly hash: 'sha256' | 'sha384' | 'sha512';
      readonly id: 'ecdsa-sha2-256-nistp256' | 'ecdsa-sha2-384-nistp384' | 'ecdsa-sha2-512-nistp521';
      readonly details: 'PKIX_ECDSA_P256_SHA_256' | 'PKIX_ECDSA_P384_SHA_384' | 'PKIX_ECDSA_P521_SHA_512';
    }
  | {
      readonly keyType: 'rsa';
      readonly bits: 2048 | 3072 | 4096;
      readonly hash: 'sha256';
      readonly id: `rsa-sign-pkcs1-${2048 | 3072 | 4096}-sha256`;
      readonly details: `PKIX_RSA_PKCS1V15_${2048 | 3072 | 4096}_SHA256`;
    }
  | {
      readonly keyType: 'ed25519';
      readonly hash: 'sha512';
      readonly id: 'ed25519-ph';
      readonly details: 'PKIX_ED25519_PH';
    };

const EC: Readonly<Record<string, KeyAlgorithm>> = {
  prime256v1: {
    keyType: 'ecdsa',
    curve: 'P-256',
    hash: 'sha256',
    id: 'ecdsa-sha2-256-nistp256',
    details: 'PKIX_ECDSA_P256_SHA_256',
  },
  secp384r1: {
    keyType: 'ecdsa',
    curve: 'P-384',
    hash: 'sha384',
    id: 'ecdsa-sha2-384-nistp384',
    details: 'PKIX_ECDSA_P384_SHA_384',
  },
  secp521r1: {
    keyType: 'ecdsa',
    curve: 'P-521',
    hash: 'sha512',
    id: 'ecdsa-sha2-512-nistp521',
    details: 'PKIX_ECDSA_P521_SHA_512',
  },
};

/**
 * The signing algorithm cosign uses with `key` (public or private).
 * @throws KeyError KEY_UNSUPPORTED for other key types, curves and RSA sizes.
 */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    const alg = EC[curve];
    if (alg === undefined) {
      throw new KeyError(
        'KEY_UNSUPPORTED',
        `unsupported ECDSA curve ${curve}: expected P-256, P-384 or P-521`,
      );
    }
    return alg;
  }
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (bits !== 2048 && bits !== 3072 && bits !== 4096) {
      throw new KeyError(
        'KEY_UNSUPPORTED',
        `unsupported RSA key size ${bits ?? 'unknown'} bits: cosign signs with 2048, 3072 or 4096-bit RSA keys`,
      );
    }
    return {
      keyType: 'rsa',
      bits,
      hash: 'sha256',
      id: `rsa-sign-pkcs1-${bits}-sha256`,
      details: `PKIX_RSA_PKCS1V15_${bits}_SHA256`,
    };
  }
  if (type === 'ed25519') {
    return { keyType: 'ed25519', hash: 'sha512', id: 'ed25519-ph', details: 'PKIX_ED25519_PH' };
  }
  throw new KeyError(
    'KEY_UNSUPPORTED',
    `unsupported key type ${type ?? 'unknown'}: expected ECDSA (P-256, P-384, P-521), RSA or Ed25519`,
  );
}

/**
 * The key hint cosign v3 and sigstore-go put in bundles: standard base64 of the SHA-256 of the
 * public key's SubjectPublicKeyInfo DER.
 */
export function publicKeyHint(publicKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}
