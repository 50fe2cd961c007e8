import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { openKeyEnvelope, SCRYPT_ACCEPTED, sealKeyEnvelope } from './envelope.js';
import { formatPem, parsePem } from './pem.js';
import { parsePrivateKey } from './private.js';

// Envelope edge cases, built by editing the JSON of cosign's pemsigstorekey test vector
// (../shared/data/signing/cosign-keys/sigstore-labeled.hello.key, password "hello").

async function vectorEnvelope(): Promise<Record<string, unknown>> {
  const pem = await readFile(sharedData('signing', 'cosign-keys', 'sigstore-labeled.hello.key'), 'utf8');
  return JSON.parse(parsePem(pem).der.toString('utf8')) as Record<string, unknown>;
}

function asPem(envelope: unknown): string {
  return formatPem('ENCRYPTED SIGSTORE PRIVATE KEY', Buffer.from(JSON.stringify(envelope)));
}

type Env = {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
};

describe('the encrypted key envelope', () => {
  it.each([
    {
      name: 'scrypt N=16384 (below what cosign accepts)',
      edit: (e: Env) => (e.kdf.params.N = 16384),
      code: 'KEY_ENVELOPE_UNSUPPORTED',
      message:
        /unsupported scrypt parameters N=16384 r=8 p=1: cosign accepts only N=32768 r=8 p=1, N=65536 r=8 p=1, N=131072 r=8 p=1/,
    },
    {
      name: 'scrypt N=1048576 (memory bomb)',
      edit: (e: Env) => (e.kdf.params.N = 1048576),
      code: 'KEY_ENVELOPE_UNSUPPORTED',
      message: /N=1048576/,
    },
    {
      name: 'scrypt r=16',
      edit: (e: Env) => (e.kdf.params.r = 16),
      code: 'KEY_ENVELOPE_UNSUPPORTED',
      message: /r=16/,
    },
    {
      name: 'scrypt p=2',
      edit: (e: Env) => (e.kdf.params.p = 2),
      code: 'KEY_ENVELOPE_UNSUPPORTED',
      message: /p=2/,
    },
    {
      name: 'kdf pbkdf2',
      edit: (e: Env) => (e.kdf.name = 'pbkdf2'),
      code: 'KEY_ENVELOPE_UNSUPPORTED',
      message: /key derivation "pbkdf2": expected scrypt/,
    },
    {
      name: 'cipher aes-gcm',
      edit: (e: Env) => (e.cipher.name = 'aes-gcm'),
      code: 'KEY_ENVELOPE_UNSUPPORTED',
      message: /cipher "aes-gcm": expected nacl\/secretbox/,
    },
    {
      name: 'a 12-byte nonce',
      edit: (e: Env) => (e.cipher.nonce = Buffer.alloc(12).toString('base64')),
      code: 'KEY_INVALID',
      message: /nonce must be 24 bytes, got 12/,
    },
    {
      name: 'nonce not base64',
      edit: (e: Env) => (e.cipher.nonce = 'not base64!'),
      code: 'KEY_INVALID',
      message: /cipher\.nonce: expected standard base64/,
    },
    {
      name: 'a missing ciphertext',
      edit: (e: Env) => (e.ciphertext = undefined as unknown as string),
      code: 'KEY_INVALID',
      message: /ciphertext/,
    },
    {
      name: 'a flipped ciphertext byte',
      edit: (e: Env) => {
        const c = Buffer.from(e.ciphertext, 'base64');
        c[40] = (c[40] ?? 0) ^ 1;
        e.ciphertext = c.toString('base64');
      },
      code: 'KEY_PASSWORD_WRONG',
      message: /or the key file is corrupted/,
    },
  ])('refuses $name with $code', async ({ edit, code, message }) => {
    const env = (await vectorEnvelope()) as Env;
    edit(env);
    const err = await parsePrivateKey(asPem(env), 'hello').catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(message);
  });

  it('refuses a body that is not JSON', async () => {
    const pem = formatPem('ENCRYPTED COSIGN PRIVATE KEY', Buffer.from('not json'));
    await expect(parsePrivateKey(pem, 'hello')).rejects.toMatchObject({ code: 'KEY_INVALID' });
  });

  it('the unedited vector still opens (the edits above are what fail)', async () => {
    const pair = await parsePrivateKey(asPem(await vectorEnvelope()), 'hello');
    expect(pair.algorithm.id).toBe('ecdsa-sha2-256-nistp256');
  });

  it.each(SCRYPT_ACCEPTED)('seals and opens with scrypt N=$N r=$r p=$p', async (params) => {
    const der = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' });
    const sealed = await sealKeyEnvelope(der, 'pässwörd', params);
    expect(JSON.parse(sealed.toString('utf8'))).toMatchObject({ kdf: { name: 'scrypt', params } });
    expect(await openKeyEnvelope(sealed, 'pässwörd')).toEqual(der);
    await expect(openKeyEnvelope(sealed, 'passwörd')).rejects.toMatchObject({ code: 'KEY_PASSWORD_WRONG' });
  });

  it('will not seal with scrypt settings cosign cannot read', async () => {
    await expect(sealKeyEnvelope(Buffer.from('x'), 'pw', { N: 16384, r: 8, p: 1 })).rejects.toMatchObject({
      code: 'KEY_ENVELOPE_UNSUPPORTED',
    });
  });
});
