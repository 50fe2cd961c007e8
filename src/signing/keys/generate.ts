import { generateKeyPair as generateNodeKeyPair, type KeyObject } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../../core/index.js';
import { sealKeyEnvelope, SCRYPT_STANDARD, type ScryptParams } from './envelope.js';
import { KeyError } from './errors.js';
import { formatPem } from './pem.js';
import { SIGSTORE_PRIVATE_KEY_PEM } from './private.js';

const generateEc = promisify(generateNodeKeyPair);

/** A key pair as PEM text: the encrypted private key and the SPKI public key. */
export type KeyPairPem = { readonly privatePem: string; readonly publicPem: string };

/**
 * Encrypts a private key as cosign does: PKCS#8 DER sealed in the scrypt + nacl/secretbox
 * envelope, PEM type `ENCRYPTED SIGSTORE PRIVATE KEY`. An empty password is allowed, as in cosign.
 * @throws KeyError KEY_ENVELOPE_UNSUPPORTED for scrypt parameters cosign cannot read.
 */
export async function encryptPrivateKey(
  privateKey: KeyObject,
  password: string,
  params: ScryptParams = SCRYPT_STANDARD,
): Promise<string> {
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  try {
    return formatPem(SIGSTORE_PRIVATE_KEY_PEM, await sealKeyEnvelope(der, password, params));
  } finally {
    der.fill(0);
  }
}

/**
 * A new ECDSA P-256 key pair, as `cosign generate-key-pair` makes: the private key encrypted
 * with `password` (scrypt N=65536 r=8 p=1, random 32-byte salt and 24-byte nonce) and the public
 * key as PEM `PUBLIC KEY`.
 */
export async function generateKeyPair(password: string): Promise<KeyPairPem> {
  const { privateKey, publicKey } = await generateEc('ec', { namedCurve: 'P-256' });
  return {
    privatePem: await encryptPrivateKey(privateKey, password),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Where `writeKeyPairFiles` put the keys. */
export type KeyPairFiles = { readonly privateKeyPath: string; readonly publicKeyPath: string };

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

function isExistsError(err: unknown): boolean {
  return (
    err instanceof Error &&
    err.cause instanceof Error &&
    (err.cause as NodeJS.ErrnoException).code === 'EEXIST'
  );
}

/**
 * Generates a key pair (see `generateKeyPair`) and writes `PREFIX.key` (mode 0600) and
 * `PREFIX.pub` (0644), each atomically. Existing files are never replaced unless `force`: both
 * names are checked first, and each file is linked into place so a file created meanwhile is
 * not clobbered either.
 * @throws KeyError KEY_FILE_EXISTS; CoreError IO_FAILED.
 */
export async function writeKeyPairFiles(
  prefix: string,
  password: string,
  options: { readonly force?: boolean } = {},
): Promise<KeyPairFiles> {
  const privateKeyPath = `${prefix}.key`;
  const publicKeyPath = `${prefix}.pub`;
  const force = options.force === true;
  if (!force) {
    const present = [];
    for (const f of [privateKeyPath, publicKeyPath]) if (await exists(f)) present.push(f);
    if (present.length > 0) {
      throw new KeyError(
        'KEY_FILE_EXISTS',
        `${present.join(' and ')} already exist${present.length === 1 ? 's' : ''}; refusing to overwrite (use --force)`,
      );
    }
  }
  const { privatePem, publicPem } = await generateKeyPair(password);
  try {
    await writeFileAtomic(privateKeyPath, privatePem, 0o600, { overwrite: force });
    await writeFileAtomic(publicKeyPath, publicPem, 0o644, { overwrite: force });
  } catch (err) {
    if (isExistsError(err)) {
      throw new KeyError(
        'KEY_FILE_EXISTS',
        `a key file appeared while writing ${prefix}.{key,pub}; refusing to overwrite`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
  return { privateKeyPath, publicKeyPath };
}
