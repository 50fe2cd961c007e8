export { readImageFiles } from './read.js';
export { decompressLayer } from './decompress.js';
export type { FileType, FileEntry, ReadFilesOptions, FileTree } from './types.js';
export { LayerCache, jsonSummaryCodec, DEFAULT_LAYER_CACHE_BYTES } from './cache.js';
export type { LayerCacheOptions, LayerCacheUse, SummaryCodec } from './cache.js';
export { walkImageLayers, DEFAULT_WALK_CONTENT_BYTES } from './walk.js';
export type { LayerEntry, LayerEntryVisitor, WalkLayersOptions, WalkLayersResult } from './walk.js';
