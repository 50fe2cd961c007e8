// The registry client's public names; src/oci/index.ts re-exports what the rest of the code needs.
export { RegistryClient } from './client.js';
export type { RegistryClientOptions, GetManifestOptions } from './client.js';
export type { FetchedManifest, ManifestHead } from './manifests.js';
export type { BlobDescriptor } from './blobs.js';
export type { PushBlobOptions, PushBlobResult } from './push.js';
export { referrersTag } from './referrers.js';
export { repositoryScope } from './auth.js';
export { parseAuthChallenges } from './challenge.js';
export type { AuthChallenge } from './challenge.js';
export {
  createDockerConfigCredentialStore,
  createStaticCredentialStore,
  readPasswordFromStdin,
} from './credentials.js';
export type {
  Credential,
  CredentialStore,
  DescribedCredentialStore,
  DockerConfigCredentialStoreOptions,
} from './credentials.js';
