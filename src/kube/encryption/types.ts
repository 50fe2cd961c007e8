import type { PathSegment } from '../types.js';

/** A named key of a local-key provider; `secret` is base64 and must never be printed. */
export type EncryptionKey = { readonly name: string; readonly secret: string };

/** The providers the API server knows, in the order it tries them to read. */
export type EncryptionProvider =
  | { readonly type: 'aescbc' | 'aesgcm' | 'secretbox'; readonly keys: readonly EncryptionKey[] }
  | { readonly type: 'identity' }
  | {
      readonly type: 'kms';
      /** `v1` when the file names none (the API server's default). */
      readonly apiVersion: 'v1' | 'v2';
      readonly name: string;
      readonly endpoint: string;
      /** KMS v1 only; the API server defaults it to 1000. */
      readonly cachesize?: number;
      /** As written (a Go duration); the API server defaults it to `3s`. */
      readonly timeout?: string;
    };

export type EncryptionProviderType = EncryptionProvider['type'];

/** One entry of `resources`: which resources, and the providers for them (the first writes). */
export type EncryptionResourceConfig = {
  readonly resources: readonly string[];
  readonly providers: readonly EncryptionProvider[];
};

/** An EncryptionConfiguration the API server would accept, defaults applied. */
export type EncryptionConfig = {
  readonly apiVersion: string;
  readonly kind: string;
  readonly resources: readonly EncryptionResourceConfig[];
};

/** A parsed file with a way back to its lines, for findings. */
export type LoadedEncryptionConfig = {
  readonly file: string;
  readonly config: EncryptionConfig;
  /** The 1-based line of the value at `path`, or of its nearest ancestor present in the file. */
  lineOf(path: readonly PathSegment[]): number;
};
