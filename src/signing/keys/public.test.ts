import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { formatPem } from './pem.js';
import { parsePublicKey, readPublicKeyFile } from './public.js';

// Public keys from ../shared/data: connaisseur's cosign keys (PEM "PUBLIC KEY" in .key files)
// with the key hints computed when the data was gathered (KEY-HINTS.json), cosign's CI key,
// cosign's RSA test keys (pkg/cosign/testdata/google is SPKI, .../rsa is PKCS#1) and the
// Fulcio certificates of the public-good trusted root.

describe('reading public keys', () => {
  it.each(['alice', 'bob', 'charlie', 'default'])(
    'reads connaisseur %s.key with its known key hint',
    async (name) => {
      const hints = JSON.parse(
        await readFile(sharedData('signing', 'connaisseur-cosign-testimage', 'KEY-HINTS.json'), 'utf8'),
      ) as Record<string, { sigstoreKeyHint_base64_sha256_spki: string }>;
      const key = await readPublicKeyFile(
        sharedData('signing', 'connaisseur-cosign-testimage', `${name}.key`),
      );
      expect(key.pemType).toBe('PUBLIC KEY');
      expect(key.algorithm).toMatchObject({ keyType: 'ecdsa', curve: 'P-256', hash: 'sha256' });
      expect(key.hint).toBe(hints[`${name}.key`]?.sigstoreKeyHint_base64_sha256_spki);
    },
  );

  it.each([
    {
      file: ['sigstore', 'cosign-keys', 'cosign-test.pub'],
      pemType: 'PUBLIC KEY',
      id: 'ecdsa-sha2-256-nistp256',
    },
    {
      file: ['sigstore', 'cosign', 'pkg', 'cosign', 'testdata', 'google'],
      pemType: 'PUBLIC KEY',
      id: 'rsa-sign-pkcs1-4096-sha256',
    },
    {
      file: ['sigstore', 'cosign', 'pkg', 'cosign', 'testdata', 'rsa'],
      pemType: 'RSA PUBLIC KEY',
      id: 'rsa-sign-pkcs1-4096-sha256',
    },
  ])('reads $file.5 as $pemType, $id', async ({ file, pemType, id }) => {
    const key = await readPublicKeyFile(sharedData(...file));
    expect(key.pemType).toBe(pemType);
    expect(key.algorithm.id).toBe(id);
  });

  it('reads the subject key of a certificate (Fulcio intermediate, P-384 → SHA-384)', async () => {
    const root = JSON.parse(
      await readFile(sharedData('signing', 'cosign-trusted_root_pgi.json'), 'utf8'),
    ) as {
      certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
    };
    const raw = root.certificateAuthorities[1]?.certChain.certificates[0]?.rawBytes ?? '';
    const key = parsePublicKey(formatPem('CERTIFICATE', Buffer.from(raw, 'base64')));
    expect(key.pemType).toBe('CERTIFICATE');
    expect(key.algorithm).toMatchObject({ keyType: 'ecdsa', curve: 'P-384', hash: 'sha384' });
  });

  it.each([
    {
      name: 'a private key',
      pem: () => readFile(sharedData('signing', 'cosign-keys', 'sigstore-labeled.hello.key')),
      message: /got "ENCRYPTED SIGSTORE PRIVATE KEY": pass the \.pub file/,
    },
    {
      name: 'a corrupt SPKI',
      pem: () => Promise.resolve(formatPem('PUBLIC KEY', Buffer.from('3003020100', 'hex'))),
      message: /does not hold a valid public key/,
    },
  ])('refuses $name with KEY_INVALID', async ({ pem, message }) => {
    const text = await pem();
    expect(() => parsePublicKey(text)).toThrow(message);
    expect(() => parsePublicKey(text)).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
  });
});
