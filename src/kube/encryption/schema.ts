import { z } from 'zod';

// The shape of apiserver.config.k8s.io/v1 EncryptionConfiguration (k8s.io/apiserver
// pkg/apis/apiserver/v1/types.go). Objects are strict because the API server decodes this file
// strictly: an unknown field (a typo such as `cachesize` spelled `cacheSize`) stops it starting.
// YAML `null` is accepted where Go would decode it to a zero value (`keys:` with nothing after).

const keySchema = z.strictObject({
  name: z.string().nullish(),
  secret: z.string().nullish(),
});

const keysProviderSchema = z.strictObject({
  keys: z.array(keySchema).nullish(),
});

const kmsSchema = z.strictObject({
  apiVersion: z.string().nullish(),
  name: z.string().nullish(),
  endpoint: z.string().nullish(),
  cachesize: z.number().int().nullish(),
  // A Go duration string (`3s`, `1m30s`); checked by the validator so the error names it.
  timeout: z.string().nullish(),
});

const providerSchema = z.strictObject({
  aescbc: keysProviderSchema.nullish(),
  aesgcm: keysProviderSchema.nullish(),
  secretbox: keysProviderSchema.nullish(),
  kms: kmsSchema.nullish(),
  identity: z.strictObject({}).nullish(),
});

const resourceConfigSchema = z.strictObject({
  resources: z.array(z.string()).nullish(),
  providers: z.array(providerSchema).nullish(),
});

/** The document as decoded, before the API server's defaults and validation. */
export const encryptionConfigDocumentSchema = z.strictObject({
  kind: z.string(),
  apiVersion: z.string(),
  resources: z.array(resourceConfigSchema).nullish(),
});

export type EncryptionConfigDocument = z.infer<typeof encryptionConfigDocumentSchema>;

/** An aescbc, aesgcm or secretbox block as decoded. */
export type KeysProviderDocument = z.infer<typeof keysProviderSchema>;
/** One `providers` element as decoded. */
export type ProviderDocument = z.infer<typeof providerSchema>;
/** A `kms` block as decoded. */
export type KmsDocument = z.infer<typeof kmsSchema>;
