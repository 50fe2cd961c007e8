import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { RegistryAuthError } from './errors.js';

// Passwords are hashed with argon2id (RFC 9106) through @node-rs/argon2, with the library's
// defaults (19 MiB, 2 passes, 1 lane: OWASP's baseline). The PHC string carries its parameters,
// so stored hashes stay verifiable if the defaults change later.

/** Shortest password accepted for a new account. */
export const MIN_PASSWORD_LENGTH = 8;
/** Longest password accepted, in bytes: caps the work an attacker can make argon2 do. */
export const MAX_PASSWORD_BYTES = 1024;

/** Argon2id, as @node-rs/argon2 numbers it (its `Algorithm` is a const enum, unusable with isolatedModules). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the const enum cannot be referenced
const ARGON2ID = 2 as Algorithm;

/** Throws PASSWORD_INVALID when a new password is too short or too long. The message never echoes it. */
export function assertPasswordAcceptable(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new RegistryAuthError(
      'PASSWORD_INVALID',
      `password too short: at least ${MIN_PASSWORD_LENGTH} characters are required`,
    );
  }
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new RegistryAuthError(
      'PASSWORD_INVALID',
      `password too long: at most ${MAX_PASSWORD_BYTES} bytes are accepted`,
    );
  }
}

/** Hashes a password with argon2id into a PHC string (`$argon2id$v=19$...`). Throws PASSWORD_INVALID. */
export async function hashPassword(password: string): Promise<string> {
  assertPasswordAcceptable(password);
  return hash(password, { algorithm: ARGON2ID });
}

/**
 * True when `password` matches the argon2id `phcHash`. False for a wrong password, an overlong
 * one, or a hash that is not argon2id (never throws for bad input, so callers cannot leak it).
 */
export async function verifyPassword(phcHash: string, password: string): Promise<boolean> {
  if (!phcHash.startsWith('$argon2id$') || Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    return false;
  }
  try {
    return await verify(phcHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies `password` against a throwaway hash, so that a login for an unknown user costs as
 * much time as one for a known user and does not reveal which names exist.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hash('portcullis-dummy-password', { algorithm: ARGON2ID });
  // The same function as the real check, so an overlong password is refused as fast either way.
  await verifyPassword(await dummyHash, password);
}
