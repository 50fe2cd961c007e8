import { z } from 'zod';

// The JSON inside an `ENCRYPTED SIGSTORE PRIVATE KEY` PEM block, as written by
// go-securesystemslib `encrypted.Encrypt` (cosign keys): Go marshals []byte as standard base64.
// Sizes are capped so a hostile file cannot make us allocate much; a PKCS#8 RSA-4096 key is
// about 2.4 KB.

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Bytes(maxBytes: number) {
  return z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4)
    .regex(STD_BASE64, 'expected standard base64')
    .transform((s) => Buffer.from(s, 'base64'));
}

export const encryptedKeyEnvelopeSchema = z.object({
  kdf: z.object({
    name: z.string().max(64),
    params: z.object({
      N: z.number().int(),
      r: z.number().int(),
      p: z.number().int(),
    }),
    salt: base64Bytes(1024),
  }),
  cipher: z.object({
    name: z.string().max(64),
    nonce: base64Bytes(64),
  }),
  ciphertext: base64Bytes(16 * 1024),
});
export type EncryptedKeyEnvelope = z.infer<typeof encryptedKeyEnvelopeSchema>;
