export type { ImageRef, RepositoryRef } from './types.js';
export type { RepositoryPrefix } from './prefix.js';
export { ImageRefError } from './errors.js';
export type { ImageRefErrorCode } from './errors.js';
export {
  parseImageRef,
  tryParseImageRef,
  parseRepository,
  isValidRepositoryPath,
  isValidTag,
  DOCKER_HUB_REGISTRY,
  DEFAULT_TAG,
  MAX_REPOSITORY_PATH_LENGTH,
  MAX_REFERENCE_LENGTH,
} from './parse.js';
export { formatImageRef, familiarImageRef, withDefaultTag, sameRepository } from './format.js';
export { registryEndpointHost, isLoopbackRegistry } from './registry.js';
export { parseRepositoryPrefix, tryParseRepositoryPrefix, matchesRepositoryPrefix } from './prefix.js';
