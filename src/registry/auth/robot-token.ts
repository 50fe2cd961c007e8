import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Robot tokens are 256 random bits, so a single SHA-256 is enough to store them (nothing to
// brute-force, unlike passwords) and keeps each authenticated request cheap. The prefix lets
// secret scanners recognise a leaked token.

/** Prefix of every robot token. */
export const ROBOT_TOKEN_PREFIX = 'pcr_';
const TOKEN_RE = /^pcr_[A-Za-z0-9_-]{43}$/;

/** A new robot token: `pcr_` and 43 base64url characters (32 random bytes). Shown once. */
export function generateRobotToken(): string {
  return `${ROBOT_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** What the store keeps of a robot token: `sha256:<hex>`. */
export function hashRobotToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** True when `token` has the shape of a robot token and hashes to `storedHash`, compared in constant time. */
export function verifyRobotToken(storedHash: string, token: string): boolean {
  // Hash even malformed input so a wrong shape costs the same as a wrong token.
  const actual = Buffer.from(hashRobotToken(token.slice(0, 256)), 'utf8');
  const expected = Buffer.from(storedHash, 'utf8');
  const same = actual.length === expected.length && timingSafeEqual(actual, expected);
  return same && TOKEN_RE.test(token);
}
