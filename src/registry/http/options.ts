import type { Logger } from '../../core/index.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { RegistryAuthConfig } from './auth.js';
import type { RegistryHooks } from './hooks.js';

/** What the distribution routes work on. */
export type RegistryRoutesOptions = {
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
  readonly logger?: Logger | undefined;
  /** Authentication and authorization; without it every request is allowed (tests, loopback tools). */
  readonly auth?: RegistryAuthConfig | undefined;
  /** Gates and push notifications from the server layer (pull gates, immutable tags, scan-on-push). */
  readonly hooks?: RegistryHooks | undefined;
};
