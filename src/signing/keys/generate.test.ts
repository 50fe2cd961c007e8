import { createPrivateKey, createPublicKey, scryptSync, sign, verify } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPair, writeKeyPairFiles } from './generate.js';
import { readPrivateKeyFile, parsePrivateKey } from './private.js';
import { readPublicKeyFile } from './public.js';

/**
 * An independent reader for the key format, written from the format description (cosign
 * pkg/cosign/keys.go, go-securesystemslib encrypted/encrypted.go) and sharing no code with
 * the implementation: PEM by hand, the envelope JSON by hand, Node scrypt, noble secretbox.
 */
function independentDecrypt(
  pem: string,
  password: string,
): { der: Buffer; envelope: Record<string, unknown> } {
  const lines = pem.trim().split('\n');
  expect(lines[0]).toBe('-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----');
  expect(lines.at(-1)).toBe('-----END ENCRYPTED SIGSTORE PRIVATE KEY-----');
  const body = lines.slice(1, -1);
  for (const l of body.slice(0, -1)) expect(l).toHaveLength(64);
  const envelope = JSON.parse(Buffer.from(body.join(''), 'base64').toString('utf8')) as {
    kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
    cipher: { name: string; nonce: string };
    ciphertext: string;
  };
  const salt = Buffer.from(envelope.kdf.salt, 'base64');
  const nonce = Buffer.from(envelope.cipher.nonce, 'base64');
  const { N, r, p } = envelope.kdf.params;
  const key = scryptSync(password, salt, 32, { N, r, p, maxmem: 256 * 1024 * 1024 });
  const der = Buffer.from(xsalsa20poly1305(key, nonce).decrypt(Buffer.from(envelope.ciphertext, 'base64')));
  return { der, envelope };
}

describe('generateKeyPair', () => {
  it.each(['correct horse', '', 'ünïcødé 🔑'])(
    'writes a cosign key (password %j) that an independent reader decrypts',
    async (password) => {
      const { privatePem, publicPem } = await generateKeyPair(password);
      const { der, envelope } = independentDecrypt(privatePem, password);
      expect(Object.keys(envelope)).toEqual(['kdf', 'cipher', 'ciphertext']);
      expect(envelope).toMatchObject({
        kdf: { name: 'scrypt', params: { N: 65536, r: 8, p: 1 } },
        cipher: { name: 'nacl/secretbox' },
      });
      const env = envelope as { kdf: { salt: string }; cipher: { nonce: string } };
      expect(Buffer.from(env.kdf.salt, 'base64')).toHaveLength(32);
      expect(Buffer.from(env.cipher.nonce, 'base64')).toHaveLength(24);
      // PKCS#8 (not SEC1) ECDSA P-256, whose public half is the .pub.
      const priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      expect(priv.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
      expect(createPublicKey(priv).export({ type: 'spki', format: 'pem' })).toBe(publicPem);

      // And our own reader reads it back to the same key.
      const pair = await parsePrivateKey(privatePem, password);
      expect(pair.privateKey.export({ type: 'pkcs8', format: 'der' })).toEqual(der);
      expect(pair.algorithm.id).toBe('ecdsa-sha2-256-nistp256');
    },
  );

  it('uses a fresh salt, nonce and key each time', async () => {
    const a = independentDecrypt((await generateKeyPair('pw')).privatePem, 'pw');
    const b = independentDecrypt((await generateKeyPair('pw')).privatePem, 'pw');
    expect(a.envelope['kdf']).not.toEqual(b.envelope['kdf']);
    expect(a.envelope['cipher']).not.toEqual(b.envelope['cipher']);
    expect(a.der).not.toEqual(b.der);
  });
});

describe('writeKeyPairFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pc-keys-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes NAME.key (0600) and NAME.pub that read back as a working pair', async () => {
    const prefix = path.join(dir, 'release');
    const files = await writeKeyPairFiles(prefix, 'pw');
    expect(files).toEqual({ privateKeyPath: `${prefix}.key`, publicKeyPath: `${prefix}.pub` });
    expect((await stat(files.privateKeyPath)).mode & 0o777).toBe(0o600);
    // 0644 less the umask: never writable by others, never executable.
    expect((await stat(files.publicKeyPath)).mode & 0o133).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['release.key', 'release.pub']);

    const pair = await readPrivateKeyFile(files.privateKeyPath, 'pw');
    const pub = await readPublicKeyFile(files.publicKeyPath);
    expect(pub.hint).toBe(pair.hint);
    const payload = Buffer.from('{"critical":{"type":"cosign container image signature"}}');
    const sig = sign(pair.algorithm.hash, payload, pair.privateKey);
    expect(verify(pub.algorithm.hash, payload, pub.publicKey, sig)).toBe(true);
    expect(verify(pub.algorithm.hash, Buffer.concat([payload, Buffer.from(' ')]), pub.publicKey, sig)).toBe(
      false,
    );
    independentDecrypt(await readFile(files.privateKeyPath, 'utf8'), 'pw');
  });

  it.each(['key', 'pub'])('refuses to overwrite an existing NAME.%s and writes nothing', async (ext) => {
    const prefix = path.join(dir, 'cosign');
    await writeFile(`${prefix}.${ext}`, 'keep me');
    const err = await writeKeyPairFiles(prefix, 'pw').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KEY_FILE_EXISTS' });
    expect((err as Error).message).toContain(`${prefix}.${ext} already exists`);
    expect(await readdir(dir)).toEqual([`cosign.${ext}`]);
    expect(await readFile(`${prefix}.${ext}`, 'utf8')).toBe('keep me');
  });

  it('replaces both files with force, the private key still 0600', async () => {
    const prefix = path.join(dir, 'cosign');
    await writeFile(`${prefix}.key`, 'old', { mode: 0o644 });
    await writeFile(`${prefix}.pub`, 'old');
    await writeKeyPairFiles(prefix, 'pw', { force: true });
    expect((await stat(`${prefix}.key`)).mode & 0o777).toBe(0o600);
    const pair = await readPrivateKeyFile(`${prefix}.key`, 'pw');
    expect(pair.hint).toBe((await readPublicKeyFile(`${prefix}.pub`)).hint);
    expect((await readdir(dir)).sort()).toEqual(['cosign.key', 'cosign.pub']);
  });
});
