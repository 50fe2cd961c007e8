import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import { z } from 'zod';
import { RegistryAuthError } from './errors.js';
import type { AccessEntry } from './scope.js';

// Short-lived registry tokens per the Docker token specification (distribution
// docs/spec/auth/jwt.md): ES256 JWTs with iss, sub, aud (the service), exp, nbf, iat, jti and an
// `access` claim listing only the granted actions. The header's `kid` is the libtrust key id of
// the signing key, which is how distribution's registry finds the key in its rootcertbundle.

/** Default token lifetime: five minutes. */
export const DEFAULT_TOKEN_TTL_SECONDS = 300;
/** Longest lifetime a caller may ask for. */
export const MAX_TOKEN_TTL_SECONDS = 3600;
/** Default clock skew allowed when checking exp and nbf. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 10;
/** Tokens longer than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** Claims of a verified registry token. */
export type TokenClaims = {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number;
  readonly jti: string;
  readonly access: readonly AccessEntry[];
};

/** Signs tokens: a P-256 private key and the issuer name. */
export type TokenSigner = {
  readonly issuer: string;
  /** libtrust key id of the public key (`kid` header). */
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  /** Optional `x5c` header: base64 DER certificates, leaf first. */
  readonly certificateChain: readonly string[] | undefined;
};

/** Checks tokens: trusted public keys, the issuer and the audience (this registry's service name). */
export type TokenVerifier = {
  readonly issuer: string;
  readonly audience: string;
  /** Trusted keys by libtrust key id (several during a key rotation). */
  readonly keys: ReadonlyMap<string, KeyObject>;
  readonly clockSkewSeconds: number;
};

/** A token just issued, with what the `/token` response needs. */
export type IssuedToken = {
  readonly token: string;
  readonly expiresIn: number;
  /** ISO 8601, the response's `issued_at`. */
  readonly issuedAt: string;
  readonly claims: TokenClaims;
};

function assertP256(key: KeyObject, type: 'private' | 'public'): void {
  if (
    key.type !== type ||
    key.asymmetricKeyType !== 'ec' ||
    key.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    throw new RegistryAuthError('KEY_INVALID', `expected an EC P-256 ${type} key for ES256`);
  }
}

/** A new P-256 private key for signing tokens. */
export function generateSigningKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

/** The PKCS#8 PEM of a signing key, for a file the caller writes with mode 0600. */
export function formatSigningKeyPem(privateKey: KeyObject): string {
  assertP256(privateKey, 'private');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Reads a signing key from PEM (PKCS#8 or SEC1). Throws KEY_INVALID, never quoting the PEM. */
export function parseSigningKeyPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new RegistryAuthError('KEY_INVALID', 'the token signing key is not a readable PEM private key', {
      cause: err,
    });
  }
  assertP256(key, 'private');
  return key;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * The libtrust key id of a public key (docker/libtrust util.go keyIDFromCryptoKey): SHA-256 of
 * its DER SubjectPublicKeyInfo, the first 240 bits in base32, in groups of four joined by ":".
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const bytes = createHash('sha256').update(der).digest().subarray(0, 30);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31] ?? '';
      bits -= 5;
    }
  }
  return (out.match(/.{4}/g) ?? []).join(':');
}

/** A signer for `privateKey` (EC P-256). Throws KEY_INVALID for any other key. */
export function createTokenSigner(opts: {
  readonly privateKey: KeyObject;
  readonly issuer: string;
  readonly certificateChain?: readonly string[];
}): TokenSigner {
  assertP256(opts.privateKey, 'private');
  const publicKey = createPublicKey(opts.privateKey);
  return {
    issuer: opts.issuer,
    keyId: libtrustKeyId(publicKey),
    publicKey,
    privateKey: opts.privateKey,
    certificateChain: opts.certificateChain,
  };
}

/** A verifier trusting `publicKeys` (EC P-256). Throws KEY_INVALID for an empty list or another key type. */
export function createTokenVerifier(opts: {
  readonly publicKeys: readonly KeyObject[];
  readonly issuer: string;
  readonly audience: string;
  readonly clockSkewSeconds?: number;
}): TokenVerifier {
  if (opts.publicKeys.length === 0)
    throw new RegistryAuthError('KEY_INVALID', 'no token verification key given');
  const keys = new Map<string, KeyObject>();
  for (const k of opts.publicKeys) {
    const pub = k.type === 'private' ? createPublicKey(k) : k;
    assertP256(pub, 'public');
    keys.set(libtrustKeyId(pub), pub);
  }
  return {
    issuer: opts.issuer,
    audience: opts.audience,
    keys,
    clockSkewSeconds: opts.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
  };
}

/**
 * Issues a token for `subject` (user or robot login name; empty for anonymous) to `audience`
 * (the registry's service name) carrying `access`, which must already hold only granted actions.
 */
export async function issueToken(
  signer: TokenSigner,
  opts: {
    readonly subject: string;
    readonly audience: string;
    readonly access: readonly AccessEntry[];
    readonly ttlSeconds?: number;
    /** Milliseconds since the epoch; default now. */
    readonly now?: number;
  },
): Promise<IssuedToken> {
  const ttl = Math.min(
    Math.max(1, Math.floor(opts.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS)),
    MAX_TOKEN_TTL_SECONDS,
  );
  const nowMs = opts.now ?? Date.now();
  const iat = Math.floor(nowMs / 1000);
  const claims: TokenClaims = {
    iss: signer.issuer,
    sub: opts.subject,
    aud: opts.audience,
    exp: iat + ttl,
    nbf: iat,
    iat,
    jti: randomBytes(16).toString('hex'),
    access: opts.access.map((a) => ({ type: a.type, name: a.name, actions: [...a.actions] })),
  };
  const header: JWTHeaderParameters = { alg: 'ES256', typ: 'JWT', kid: signer.keyId };
  if (signer.certificateChain !== undefined) header.x5c = [...signer.certificateChain];
  const token = await new SignJWT({ access: claims.access })
    .setProtectedHeader(header)
    .setIssuer(claims.iss)
    .setSubject(claims.sub)
    // A plain string, not an array: distribution 2.8 reads `aud` as a string.
    .setAudience(claims.aud)
    .setExpirationTime(claims.exp)
    .setNotBefore(claims.nbf)
    .setIssuedAt(claims.iat)
    .setJti(claims.jti)
    .sign(signer.privateKey);
  return { token, expiresIn: ttl, issuedAt: new Date(iat * 1000).toISOString(), claims };
}

const CLAIMS_SCHEMA = z.object({
  iss: z.string(),
  sub: z.string(),
  aud: z.string(),
  exp: z.number(),
  nbf: z.number(),
  iat: z.number(),
  jti: z.string().min(1).max(128),
  access: z
    .array(
      z.object({
        type: z.string().max(64),
        name: z.string().max(512),
        actions: z.array(z.string().max(16)).max(8),
      }),
    )
    .max(64),
});

function tokenError(err: unknown): RegistryAuthError {
  if (err instanceof joseErrors.JWTExpired) {
    return new RegistryAuthError('TOKEN_EXPIRED', 'token expired', { cause: err });
  }
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf')
      return new RegistryAuthError('TOKEN_NOT_YET_VALID', 'token not yet valid', { cause: err });
    if (err.claim === 'aud') {
      return new RegistryAuthError('TOKEN_AUDIENCE', 'token was issued for another service', { cause: err });
    }
    return new RegistryAuthError('TOKEN_INVALID', `token claim ${err.claim} is invalid`, { cause: err });
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new RegistryAuthError('TOKEN_INVALID', 'token signature does not verify', { cause: err });
  }
  if (err instanceof RegistryAuthError) return err;
  return new RegistryAuthError('TOKEN_INVALID', 'token is malformed or not signed by a trusted key', {
    cause: err,
  });
}

/**
 * Verifies a registry token: ES256 signature by a trusted key (chosen by `kid`), issuer,
 * audience, `exp` and `nbf` within the clock skew, and the claim shapes. Throws TOKEN_INVALID,
 * TOKEN_EXPIRED, TOKEN_NOT_YET_VALID or TOKEN_AUDIENCE; messages never contain the token.
 */
export async function verifyToken(
  verifier: TokenVerifier,
  token: string,
  opts: { readonly now?: number } = {},
): Promise<TokenClaims> {
  if (token.length > MAX_TOKEN_LENGTH) throw new RegistryAuthError('TOKEN_INVALID', 'token too long');
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid === undefined ? undefined : verifier.keys.get(header.kid);
        if (key === undefined) throw new RegistryAuthError('TOKEN_INVALID', 'token signed by an unknown key');
        return key;
      },
      {
        algorithms: ['ES256'],
        issuer: verifier.issuer,
        audience: verifier.audience,
        clockTolerance: verifier.clockSkewSeconds,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'],
        ...(opts.now !== undefined ? { currentDate: new Date(opts.now) } : {}),
      },
    );
    const parsed = CLAIMS_SCHEMA.safeParse(payload);
    if (!parsed.success)
      throw new RegistryAuthError('TOKEN_INVALID', 'token claims do not have the expected shape');
    return parsed.data;
  } catch (err) {
    throw tokenError(err);
  }
}

/** True when a verified token's `access` claim grants `action` on `name` of `type`. */
export function accessAllows(
  access: readonly AccessEntry[],
  type: 'repository' | 'registry',
  name: string,
  action: string,
): boolean {
  return access.some(
    (a) => a.type === type && a.name === name && (a.actions.includes(action) || a.actions.includes('*')),
  );
}
