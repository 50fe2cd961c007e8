// The oci capability's public door: image types and schemas, platform handling, manifest
// resolution, the registry client and blob cache, image sources, and the layer reader.
export { OciError } from './errors.js';
export type { OciErrorCode } from './errors.js';
export {
  MediaType,
  MANIFEST_ACCEPT,
  isIndexMediaType,
  isImageManifestMediaType,
  isSchema1MediaType,
  compressionOfMediaType,
} from './mediatypes.js';
export type { LayerCompression } from './mediatypes.js';
export {
  descriptorSchema,
  imageManifestSchema,
  imageIndexSchema,
  imageConfigSchema,
  platformSchema,
} from './schema.js';
export type { Descriptor, ImageManifest, ImageIndex, ImageConfig, HistoryEntry, Platform } from './schema.js';
export {
  parsePlatform,
  normalizePlatform,
  hostPlatform,
  formatPlatform,
  selectPlatformManifest,
} from './platform.js';
export type { PlatformSpec } from './platform.js';
export type {
  Image,
  LayeredImage,
  RootfsImage,
  Layer,
  ImageSource,
  SourceKind,
  OpenImageOptions,
} from './image.js';
export { parseManifest, parseImageConfig, resolveImage, verifyContent, layerHistory } from './resolve.js';
export type { ContentFetcher, ParsedManifest, ResolveImageOptions } from './resolve.js';
export { describeImage } from './describe.js';
export type { ImageDescription, LayerDescription } from './describe.js';
export {
  RegistryClient,
  referrersTag,
  repositoryScope,
  parseAuthChallenges,
  createDockerConfigCredentialStore,
  createStaticCredentialStore,
  readPasswordFromStdin,
} from './registry/index.js';
export type {
  RegistryClientOptions,
  GetManifestOptions,
  FetchedManifest,
  ManifestHead,
  BlobDescriptor,
  PushBlobOptions,
  PushBlobResult,
  AuthChallenge,
  Credential,
  CredentialStore,
  DescribedCredentialStore,
  DockerConfigCredentialStoreOptions,
} from './registry/index.js';
export { BlobCache } from './cache.js';
export { RegistryImageSource } from './sources/registry.js';
export {
  parseTarget,
  openImageSource,
  isValidLayoutRefName,
  TARGET_FORMS,
  OciLayoutSource,
  OciArchiveSource,
  DockerArchiveSource,
  RootfsSource,
} from './sources/index.js';
export type {
  Target,
  OpenImageSourceOptions,
  SourceOptions,
  DockerArchiveSelector,
} from './sources/index.js';
export { readImageFiles, decompressLayer } from './layers/index.js';
export type { FileType, FileEntry, ReadFilesOptions, FileTree } from './layers/index.js';
export { LayerCache, jsonSummaryCodec, DEFAULT_LAYER_CACHE_BYTES } from './layers/index.js';
export type { LayerCacheOptions, LayerCacheUse, SummaryCodec } from './layers/index.js';
export { walkImageLayers, DEFAULT_WALK_CONTENT_BYTES } from './layers/index.js';
export type { LayerEntry, LayerEntryVisitor, WalkLayersOptions, WalkLayersResult } from './layers/index.js';
