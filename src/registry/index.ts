// The registry capability's public door: blob storage, metadata, manifest checks and the
// OCI distribution HTTP routes.
export { RegistryError } from './errors.js';
export type { RegistryErrorCode } from './errors.js';
export type { BlobStore, BlobInfo, ByteRange, UploadStatus } from './storage/blob-store.js';
export { FilesystemBlobStore } from './storage/filesystem.js';
export type { MetadataStore, ManifestRecord, Page } from './metadata/metadata-store.js';
export { SqliteMetadataStore } from './metadata/sqlite.js';
export { checkManifest, MAX_MANIFEST_BYTES, MANIFEST_MEDIA_TYPES } from './manifest.js';
export type { CheckedManifest } from './manifest.js';
export { registerDistributionRoutes, errorResponse } from './http/routes.js';
export type { RegistryRoutesOptions } from './http/routes.js';
export { ERROR_RESPONSES } from './http/errors.js';
export type { OciErrorCode, ErrorBody } from './http/errors.js';
export { createRegistryApp, startRegistryServer } from './http/server.js';
export type { RegistryServer, RegistryServerOptions } from './http/server.js';
