import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { isEncryptedPrivateKeyPem, parsePrivateKey, readPrivateKeyFile } from './private.js';

// The cosign test keys (password "hello") in ../shared/data, see signing/SOURCES.md and
// sigstore/cosign-keys/README.md: constants pemsigstorekey, pemcosignkey and pemcosigneckey of
// sigstore/cosign pkg/cosign/keys_test.go, and cosign's CI key whose password is a CI secret.

const signingKeys = (f: string) => sharedData('signing', 'cosign-keys', f);
const sigstoreKeys = (f: string) => sharedData('sigstore', 'cosign-keys', f);

function spkiHex(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('hex');
}

async function pubHex(file: string): Promise<string> {
  return spkiHex(createPublicKey(await readFile(file, 'utf8')));
}

const decrypting = [
  {
    file: signingKeys('sigstore-labeled.hello.key'),
    pub: signingKeys('sigstore-labeled.hello.pub'),
    pemType: 'ENCRYPTED SIGSTORE PRIVATE KEY',
    hint: '8QV788EU1UhvC9s8cCWW1hVBWCSJgNS+SfbGH9xixZE=',
  },
  {
    file: signingKeys('cosign-labeled.hello.key'),
    pub: signingKeys('cosign-labeled.hello.pub'),
    pemType: 'ENCRYPTED COSIGN PRIVATE KEY',
    hint: 'pmWcCLmQmIDG5LxRyrb9cmVnP2fWFMILpZoYlX/rcA0=',
  },
  {
    file: sigstoreKeys('sigstore-labeled.key'),
    pub: signingKeys('sigstore-labeled.hello.pub'),
    pemType: 'ENCRYPTED SIGSTORE PRIVATE KEY',
    hint: '8QV788EU1UhvC9s8cCWW1hVBWCSJgNS+SfbGH9xixZE=',
  },
  {
    // Named "rsa" upstream, but the key inside is EC P-256.
    file: sigstoreKeys('cosign-rsa.key'),
    pub: signingKeys('cosign-labeled.hello.pub'),
    pemType: 'ENCRYPTED COSIGN PRIVATE KEY',
    hint: 'pmWcCLmQmIDG5LxRyrb9cmVnP2fWFMILpZoYlX/rcA0=',
  },
];

describe('cosign test keys', () => {
  it.each(decrypting.map((c) => ({ ...c, name: path.basename(c.file) })))(
    '$name decrypts with "hello" to the key of its .pub',
    async (c) => {
      const pair = await readPrivateKeyFile(c.file, 'hello');
      expect(pair.pemType).toBe(c.pemType);
      expect(pair.encrypted).toBe(true);
      expect(pair.privateKey.type).toBe('private');
      expect(pair.algorithm).toMatchObject({ keyType: 'ecdsa', curve: 'P-256', hash: 'sha256' });
      expect(spkiHex(pair.publicKey)).toBe(await pubHex(c.pub));
      expect(pair.hint).toBe(c.hint);
      // The KeyObjects are a working pair: sign with the private one, verify with the .pub file.
      const data = Buffer.from('{"critical":{}}');
      const sig = sign(pair.algorithm.hash, data, pair.privateKey);
      expect(verify(pair.algorithm.hash, data, await readFile(c.pub, 'utf8'), sig)).toBe(true);
      expect(verify(pair.algorithm.hash, Buffer.from('{"critical":{ }}'), pair.publicKey, sig)).toBe(false);
    },
  );

  it.each(
    [signingKeys('cosign-labeled-sec1-ec.hello.key'), sigstoreKeys('cosign-ec-sec1.key')].map((file) => ({
      file,
      name: path.basename(file),
    })),
  )('$name (SEC1 inside the envelope) is refused as cosign refuses it', async ({ file }) => {
    const err = await readPrivateKeyFile(file, 'hello').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KEY_SEC1_IN_ENVELOPE' });
    expect((err as Error).message).toMatch(/SEC1 "EC PRIVATE KEY".*must hold PKCS#8/);
    expect((err as Error).message).toContain(file);
  });

  it.each(
    [
      { file: signingKeys('sigstore-labeled.hello.key'), password: 'hellO' },
      { file: signingKeys('cosign-labeled.hello.key'), password: '' },
      { file: signingKeys('cosign-labeled-sec1-ec.hello.key'), password: 'hello ' },
      // cosign's CI key: its password is a secret, so "hello" is wrong.
      { file: sigstoreKeys('cosign-test.key'), password: 'hello' },
    ].map((c) => ({ ...c, name: path.basename(c.file) })),
  )('$name with password $password is a wrong password', async ({ file, password }) => {
    const err = await readPrivateKeyFile(file, password).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KEY_PASSWORD_WRONG' });
    expect((err as Error).message).toMatch(/wrong password/);
    expect((err as Error).message).not.toContain(password === '' ? 'never' : password);
  });

  it('asks a password function only for encrypted keys', async () => {
    let asked = 0;
    const ask = () => {
      asked += 1;
      return Promise.resolve('hello');
    };
    await parsePrivateKey(await readFile(signingKeys('sigstore-labeled.hello.key')), ask);
    expect(asked).toBe(1);
    const plain = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    await parsePrivateKey(plain, ask);
    expect(asked).toBe(1);
    expect(isEncryptedPrivateKeyPem(await readFile(sigstoreKeys('cosign-test.key')))).toBe(true);
    expect(isEncryptedPrivateKeyPem(plain)).toBe(false);
  });

  it('reads a key file saved with CRLF line ends', async () => {
    const text = await readFile(signingKeys('sigstore-labeled.hello.key'), 'utf8');
    const pair = await parsePrivateKey(text.replace(/\n/g, '\r\n'), 'hello');
    expect(pair.hint).toBe('8QV788EU1UhvC9s8cCWW1hVBWCSJgNS+SfbGH9xixZE=');
  });

  it('names a missing file with KEY_NOT_FOUND', async () => {
    await expect(readPrivateKeyFile('/nonexistent/cosign.key', 'x')).rejects.toMatchObject({
      code: 'KEY_NOT_FOUND',
    });
  });
});

// Unencrypted PKCS#8 keys made here with Node's own generator.
const plainKeys = [
  {
    name: 'ECDSA P-256',
    make: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    alg: { keyType: 'ecdsa', curve: 'P-256', hash: 'sha256', id: 'ecdsa-sha2-256-nistp256' },
  },
  {
    name: 'ECDSA P-384',
    make: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
    alg: { keyType: 'ecdsa', curve: 'P-384', hash: 'sha384', id: 'ecdsa-sha2-384-nistp384' },
  },
  {
    name: 'ECDSA P-521',
    make: () => generateKeyPairSync('ec', { namedCurve: 'P-521' }),
    alg: { keyType: 'ecdsa', curve: 'P-521', hash: 'sha512' },
  },
  {
    name: 'RSA 2048',
    make: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
    alg: { keyType: 'rsa', bits: 2048, hash: 'sha256', id: 'rsa-sign-pkcs1-2048-sha256' },
  },
  {
    name: 'Ed25519',
    make: () => generateKeyPairSync('ed25519'),
    alg: { keyType: 'ed25519', id: 'ed25519-ph' },
  },
];

describe('unencrypted PKCS#8 keys', () => {
  it.each(plainKeys)('reads $name with the algorithm cosign uses', async ({ make, alg }) => {
    const { privateKey, publicKey } = make();
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
    const pair = await parsePrivateKey(pem, 'ignored');
    expect(pair).toMatchObject({ pemType: 'PRIVATE KEY', encrypted: false, algorithm: alg });
    expect(spkiHex(pair.publicKey)).toBe(spkiHex(publicKey));
    const data = Buffer.from('payload');
    const hash = pair.algorithm.keyType === 'ed25519' ? undefined : pair.algorithm.hash;
    expect(verify(hash, data, publicKey, sign(hash, data, pair.privateKey))).toBe(true);
  });

  const sec1 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'sec1',
    format: 'pem',
  });
  const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs1',
    format: 'pem',
  });
  it.each([
    {
      name: 'RSA 1024',
      pem: () =>
        generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }),
      code: 'KEY_UNSUPPORTED',
      message: /RSA key size 1024/,
    },
    {
      name: 'ECDSA P-224',
      pem: () =>
        generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }),
      code: 'KEY_UNSUPPORTED',
      message: /curve secp224r1/,
    },
    {
      name: 'X25519',
      pem: () => generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
      code: 'KEY_UNSUPPORTED',
      message: /key type x25519/,
    },
    {
      name: 'SEC1 EC PRIVATE KEY',
      pem: () => sec1,
      code: 'KEY_UNSUPPORTED',
      message: /openssl pkcs8 -topk8/,
    },
    {
      name: 'PKCS#1 RSA PRIVATE KEY',
      pem: () => pkcs1,
      code: 'KEY_UNSUPPORTED',
      message: /openssl pkcs8 -topk8/,
    },
    {
      name: 'a public key',
      pem: () => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
      code: 'KEY_INVALID',
      message: /expected a private key/,
    },
    { name: 'text without PEM', pem: () => 'hello world', code: 'KEY_INVALID', message: /no "-----BEGIN/ },
    {
      name: 'unterminated PEM',
      pem: () => '-----BEGIN PRIVATE KEY-----\nAAAA\n',
      code: 'KEY_INVALID',
      message: /no "-----END PRIVATE KEY-----"/,
    },
    {
      name: 'bad base64',
      pem: () => '-----BEGIN PRIVATE KEY-----\nA*AA\n-----END PRIVATE KEY-----\n',
      code: 'KEY_INVALID',
      message: /valid base64/,
    },
    {
      name: 'garbage DER',
      pem: () => '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      code: 'KEY_INVALID',
      message: /not a PKCS#8/,
    },
    {
      name: 'OpenSSL-encrypted PEM',
      pem: () =>
        '-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END EC PRIVATE KEY-----\n',
      code: 'KEY_UNSUPPORTED',
      message: /headers/,
    },
    {
      name: 'an unknown PEM type',
      pem: () => '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
      code: 'KEY_UNSUPPORTED',
      message: /unsupported PEM type "OPENSSH PRIVATE KEY"/,
    },
  ])('refuses $name with $code', async ({ pem, code, message }) => {
    const err = await parsePrivateKey(pem(), 'x').catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(message);
  });

  it('parses a key from PEM with text before it, as Go pem.Decode does', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = `comment line\n${privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()}`;
    const pair = await parsePrivateKey(pem, '');
    expect(spkiHex(pair.publicKey)).toBe(spkiHex(publicKey));
  });
});
