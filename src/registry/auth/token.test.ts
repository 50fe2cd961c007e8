import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  accessAllows,
  createTokenSigner,
  createTokenVerifier,
  formatSigningKeyPem,
  generateSigningKey,
  issueToken,
  libtrustKeyId,
  parseSigningKeyPem,
  verifyToken,
} from './token.js';

const ISSUER = 'portcullis';
const SERVICE = 'registry.test';
const NOW = Date.parse('2026-06-01T12:00:00Z');

function setup() {
  const key = generateSigningKey();
  const signer = createTokenSigner({ privateKey: key, issuer: ISSUER });
  const verifier = createTokenVerifier({ publicKeys: [signer.publicKey], issuer: ISSUER, audience: SERVICE });
  return { signer, verifier };
}

const access = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];

function decodePart(token: string, i: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[i] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'verified';
  } catch (err) {
    return (err as { code?: string }).code ?? 'no code';
  }
}

describe('issued tokens', () => {
  it('round-trip with every claim of the Docker token spec', async () => {
    const { signer, verifier } = setup();
    const issued = await issueToken(signer, { subject: 'alice', audience: SERVICE, access, now: NOW });
    expect(issued.expiresIn).toBe(300);
    expect(issued.issuedAt).toBe('2026-06-01T12:00:00.000Z');
    const claims = await verifyToken(verifier, issued.token, { now: NOW + 1000 });
    expect(claims).toMatchObject({ iss: ISSUER, sub: 'alice', aud: SERVICE, access });
    expect(claims.exp - claims.iat).toBe(300);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.jti).toMatch(/^[0-9a-f]{32}$/);
    expect(decodePart(issued.token, 0)).toEqual({ alg: 'ES256', typ: 'JWT', kid: signer.keyId });
    // distribution 2.8 reads aud as a string, not an array.
    expect(decodePart(issued.token, 1)['aud']).toBe(SERVICE);
    expect(accessAllows(claims.access, 'repository', 'team/app', 'pull')).toBe(true);
    expect(accessAllows(claims.access, 'repository', 'team/app', 'push')).toBe(false);
    expect(accessAllows(claims.access, 'repository', 'team/other', 'pull')).toBe(false);
  });

  it('have distinct jti values', async () => {
    const { signer } = setup();
    const a = await issueToken(signer, { subject: 'a', audience: SERVICE, access: [] });
    const b = await issueToken(signer, { subject: 'a', audience: SERVICE, access: [] });
    expect(a.claims.jti).not.toBe(b.claims.jti);
  });

  it('cap the lifetime a caller asks for', async () => {
    const { signer } = setup();
    expect(
      (await issueToken(signer, { subject: 'a', audience: SERVICE, access: [], ttlSeconds: 86400 }))
        .expiresIn,
    ).toBe(3600);
  });

  it('carry an x5c chain when the signer has one', async () => {
    const signer = createTokenSigner({
      privateKey: generateSigningKey(),
      issuer: ISSUER,
      certificateChain: ['MIIB'],
    });
    const { token } = await issueToken(signer, { subject: 'a', audience: SERVICE, access: [] });
    expect(decodePart(token, 0)['x5c']).toEqual(['MIIB']);
  });
});

describe('token verification refuses', () => {
  it('a tampered signature or payload', async () => {
    const { signer, verifier } = setup();
    const { token } = await issueToken(signer, { subject: 'alice', audience: SERVICE, access, now: NOW });
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    expect(await codeOf(verifyToken(verifier, `${h}.${p}.${flipped}`, { now: NOW }))).toBe('TOKEN_INVALID');
    const escalated = Buffer.from(
      JSON.stringify({
        ...decodePart(token, 1),
        access: [{ type: 'repository', name: 'team/app', actions: ['push'] }],
      }),
    ).toString('base64url');
    expect(await codeOf(verifyToken(verifier, `${h}.${escalated}.${s}`, { now: NOW }))).toBe('TOKEN_INVALID');
  });

  it('a token for another audience or from another issuer', async () => {
    const { signer, verifier } = setup();
    const other = await issueToken(signer, { subject: 'a', audience: 'other.service', access, now: NOW });
    expect(await codeOf(verifyToken(verifier, other.token, { now: NOW }))).toBe('TOKEN_AUDIENCE');
    const foreign = createTokenSigner({ privateKey: signer.privateKey, issuer: 'someone-else' });
    const t = await issueToken(foreign, { subject: 'a', audience: SERVICE, access, now: NOW });
    expect(await codeOf(verifyToken(verifier, t.token, { now: NOW }))).toBe('TOKEN_INVALID');
  });

  it('an expired token, allowing the clock skew', async () => {
    const { signer, verifier } = setup();
    const { token } = await issueToken(signer, { subject: 'a', audience: SERVICE, access, now: NOW });
    expect(await codeOf(verifyToken(verifier, token, { now: NOW + 305_000 }))).toBe('verified');
    expect(await codeOf(verifyToken(verifier, token, { now: NOW + 311_000 }))).toBe('TOKEN_EXPIRED');
  });

  it('a token that is not valid yet, allowing the clock skew', async () => {
    const { signer, verifier } = setup();
    const { token } = await issueToken(signer, { subject: 'a', audience: SERVICE, access, now: NOW });
    expect(await codeOf(verifyToken(verifier, token, { now: NOW - 5_000 }))).toBe('verified');
    expect(await codeOf(verifyToken(verifier, token, { now: NOW - 60_000 }))).toBe('TOKEN_NOT_YET_VALID');
  });

  it('a token signed by an untrusted key, even with the same kid', async () => {
    const { verifier, signer } = setup();
    const other = createTokenSigner({ privateKey: generateSigningKey(), issuer: ISSUER });
    const { token } = await issueToken(other, { subject: 'a', audience: SERVICE, access, now: NOW });
    expect(await codeOf(verifyToken(verifier, token, { now: NOW }))).toBe('TOKEN_INVALID');
    const [, p, s] = token.split('.') as [string, string, string];
    const h = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: signer.keyId })).toString(
      'base64url',
    );
    expect(await codeOf(verifyToken(verifier, `${h}.${p}.${s}`, { now: NOW }))).toBe('TOKEN_INVALID');
  });

  it('alg none, HS256 and RS256 tokens', async () => {
    const { signer, verifier } = setup();
    const payload = Buffer.from(
      JSON.stringify({ iss: ISSUER, sub: 'a', aud: SERVICE, exp: 2e9, nbf: 0, iat: 0, jti: 'x', access }),
    ).toString('base64url');
    const header = (alg: string): string =>
      Buffer.from(JSON.stringify({ alg, typ: 'JWT', kid: signer.keyId })).toString('base64url');
    expect(await codeOf(verifyToken(verifier, `${header('none')}.${payload}.`))).toBe('TOKEN_INVALID');
    expect(await codeOf(verifyToken(verifier, `${header('HS256')}.${payload}.AAAA`))).toBe('TOKEN_INVALID');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const input = `${header('RS256')}.${payload}`;
    const sig = sign('sha256', Buffer.from(input), rsa).toString('base64url');
    expect(await codeOf(verifyToken(verifier, `${input}.${sig}`))).toBe('TOKEN_INVALID');
  });

  it('garbage, overlong input and missing claims without echoing the token', async () => {
    const { signer, verifier } = setup();
    for (const bad of ['', 'a.b.c', 'x'.repeat(20_000), 'not a token']) {
      expect(await codeOf(verifyToken(verifier, bad))).toBe('TOKEN_INVALID');
    }
    const { token } = await issueToken(signer, { subject: 'a', audience: SERVICE, access, now: NOW });
    try {
      await verifyToken(verifier, token, { now: NOW + 10_000_000 });
    } catch (err) {
      expect((err as Error).message).not.toContain(token.split('.')[2]);
      expect((err as Error).message).not.toContain(token.split('.')[1]);
    }
  });
});

describe('keys', () => {
  it('refuse anything but P-256', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    expect(() => createTokenSigner({ privateKey: rsa, issuer: ISSUER })).toThrow(/P-256/);
    expect(() => createTokenSigner({ privateKey: p384, issuer: ISSUER })).toThrow(/P-256/);
    expect(() => createTokenVerifier({ publicKeys: [], issuer: ISSUER, audience: SERVICE })).toThrow(
      /no token/,
    );
  });

  it('have libtrust key ids: twelve groups of four base32 characters', () => {
    const key = generateSigningKey();
    const id = libtrustKeyId(createTokenSigner({ privateKey: key, issuer: ISSUER }).publicKey);
    expect(id).toMatch(/^[A-Z2-7]{4}(?::[A-Z2-7]{4}){11}$/);
  });

  it('rotate: a verifier trusting two keys accepts tokens of both', async () => {
    const a = createTokenSigner({ privateKey: generateSigningKey(), issuer: ISSUER });
    const b = createTokenSigner({ privateKey: generateSigningKey(), issuer: ISSUER });
    const verifier = createTokenVerifier({
      publicKeys: [a.publicKey, b.privateKey],
      issuer: ISSUER,
      audience: SERVICE,
    });
    for (const s of [a, b]) {
      const { token } = await issueToken(s, { subject: 'x', audience: SERVICE, access });
      expect((await verifyToken(verifier, token)).sub).toBe('x');
    }
  });
});

describe('signing key files', () => {
  it('round-trip through PEM and keep their key id', () => {
    const key = generateSigningKey();
    const again = parseSigningKeyPem(formatSigningKeyPem(key));
    expect(createTokenSigner({ privateKey: again, issuer: ISSUER }).keyId).toBe(
      createTokenSigner({ privateKey: key, issuer: ISSUER }).keyId,
    );
  });

  it('refuse unreadable PEM and RSA keys without quoting them', () => {
    const garbage = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n';
    expect(() => parseSigningKeyPem(garbage)).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID' }) as Error,
    );
    try {
      parseSigningKeyPem(garbage);
    } catch (err) {
      expect((err as Error).message).not.toContain('c2VjcmV0');
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(() => parseSigningKeyPem(rsa.toString())).toThrow(/P-256/);
  });
});
