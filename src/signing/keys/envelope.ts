import { randomBytes, scrypt } from 'node:crypto';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { errorMessage } from '../../core/index.js';
import { KeyError } from './errors.js';
import { encryptedKeyEnvelopeSchema } from './schema.js';

// The encrypted key envelope of go-securesystemslib `encrypted` (what cosign writes): scrypt
// derives a 32-byte key from the password and salt, NaCl secretbox (XSalsa20-Poly1305) seals
// the PKCS#8 DER under it. See docs/research/signing-admission.md §A2.

/** scrypt cost parameters. */
export type ScryptParams = { readonly N: number; readonly r: number; readonly p: number };

/**
 * The only scrypt settings cosign's `encrypted.Decrypt` accepts (`CheckParams`): legacy,
 * standard (what `Encrypt` writes today) and OWASP. Anything else is refused, which also bounds
 * the memory a hostile key file can make us spend.
 */
export const SCRYPT_ACCEPTED: readonly ScryptParams[] = [
  { N: 32768, r: 8, p: 1 },
  { N: 65536, r: 8, p: 1 },
  { N: 131072, r: 8, p: 1 },
];

/** What cosign writes for new keys. */
export const SCRYPT_STANDARD: ScryptParams = { N: 65536, r: 8, p: 1 };

const KEY_BYTES = 32;
const SALT_BYTES = 32;
const NONCE_BYTES = 24;

function isAccepted(params: ScryptParams): boolean {
  return SCRYPT_ACCEPTED.some((a) => a.N === params.N && a.r === params.r && a.p === params.p);
}

function describe(params: ScryptParams): string {
  return `N=${params.N} r=${params.r} p=${params.p}`;
}

async function deriveKey(password: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  // OpenSSL needs room for V (128·r·(N+2) bytes) and B (128·r·p); the default cap is 32 MiB,
  // below what N=65536 takes.
  const maxmem = 128 * params.r * (params.N + 2 + params.p) + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(password, 'utf8'),
      salt,
      KEY_BYTES,
      { N: params.N, r: params.r, p: params.p, maxmem },
      (err, key) => {
        if (err) reject(err);
        else resolve(key);
      },
    );
  });
}

/**
 * Opens an envelope (the bytes of an encrypted cosign PEM block) with `password`.
 * @returns the plaintext, normally PKCS#8 DER. The caller should zero it when done.
 * @throws KeyError KEY_INVALID (not the envelope JSON), KEY_ENVELOPE_UNSUPPORTED (KDF, cipher
 *   or scrypt cost cosign refuses), KEY_PASSWORD_WRONG (authentication failed).
 */
export async function openKeyEnvelope(envelopeJson: Uint8Array, password: string): Promise<Buffer> {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(envelopeJson).toString('utf8'));
  } catch (err) {
    throw new KeyError(
      'KEY_INVALID',
      `encrypted key is not the JSON envelope cosign writes: ${errorMessage(err)}`,
    );
  }
  const parsed = encryptedKeyEnvelopeSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : `${issue.path.join('.')}: ${issue.message}`;
    throw new KeyError('KEY_INVALID', `encrypted key envelope is malformed (${where})`);
  }
  const env = parsed.data;
  if (env.kdf.name !== 'scrypt') {
    throw new KeyError(
      'KEY_ENVELOPE_UNSUPPORTED',
      `unsupported key derivation "${env.kdf.name}": expected scrypt`,
    );
  }
  if (env.cipher.name !== 'nacl/secretbox') {
    throw new KeyError(
      'KEY_ENVELOPE_UNSUPPORTED',
      `unsupported cipher "${env.cipher.name}": expected nacl/secretbox`,
    );
  }
  if (!isAccepted(env.kdf.params)) {
    throw new KeyError(
      'KEY_ENVELOPE_UNSUPPORTED',
      `unsupported scrypt parameters ${describe(env.kdf.params)}: cosign accepts only ${SCRYPT_ACCEPTED.map(describe).join(', ')}`,
    );
  }
  if (env.cipher.nonce.length !== NONCE_BYTES) {
    throw new KeyError(
      'KEY_INVALID',
      `secretbox nonce must be ${NONCE_BYTES} bytes, got ${env.cipher.nonce.length}`,
    );
  }
  if (env.kdf.salt.length === 0) throw new KeyError('KEY_INVALID', 'scrypt salt is empty');
  if (env.ciphertext.length < 16) throw new KeyError('KEY_INVALID', 'ciphertext is shorter than its tag');
  const key = await deriveKey(password, env.kdf.salt, env.kdf.params);
  try {
    return Buffer.from(xsalsa20poly1305(key, env.cipher.nonce).decrypt(env.ciphertext));
  } catch (err) {
    // Poly1305 failed: the derived key is wrong, so the password is (or the file was altered).
    throw new KeyError(
      'KEY_PASSWORD_WRONG',
      'wrong password for the encrypted private key (or the key file is corrupted)',
      {
        cause: err,
      },
    );
  } finally {
    key.fill(0);
  }
}

/**
 * Seals `plaintext` (PKCS#8 DER) under `password` as cosign does: fresh 32-byte salt and 24-byte
 * nonce, scrypt with `params` (default N=65536 r=8 p=1), nacl/secretbox.
 * @returns the envelope JSON bytes, fields in the order Go writes them.
 * @throws KeyError KEY_ENVELOPE_UNSUPPORTED for scrypt parameters cosign would refuse to read.
 */
export async function sealKeyEnvelope(
  plaintext: Uint8Array,
  password: string,
  params: ScryptParams = SCRYPT_STANDARD,
): Promise<Buffer> {
  if (!isAccepted(params)) {
    throw new KeyError(
      'KEY_ENVELOPE_UNSUPPORTED',
      `cosign cannot read keys written with scrypt ${describe(params)}`,
    );
  }
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const key = await deriveKey(password, salt, params);
  let ciphertext: Uint8Array;
  try {
    ciphertext = xsalsa20poly1305(key, nonce).encrypt(plaintext);
  } finally {
    key.fill(0);
  }
  const envelope = {
    kdf: { name: 'scrypt', params: { N: params.N, r: params.r, p: params.p }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(ciphertext).toString('base64'),
  };
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}
