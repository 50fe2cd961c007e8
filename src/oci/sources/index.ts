// Local image sources and the target parser. The registry source (registry.ts) is exported
// from src/oci/index.ts by its owner.
export { parseTarget, openImageSource, isValidLayoutRefName, TARGET_FORMS } from './target.js';
export type { Target, OpenImageSourceOptions } from './target.js';
export type { SourceOptions } from './options.js';
export { OciLayoutSource, REF_NAME_ANNOTATION, blobPath } from './layout.js';
export { OciArchiveSource } from './archive.js';
export { DockerArchiveSource, DOCKER_LAYER_TAR } from './dockerarchive.js';
export type { DockerArchiveSelector } from './dockerarchive.js';
export { RootfsSource } from './rootfs.js';
