export { readImageFiles } from './read.js';
export { decompressLayer } from './decompress.js';
export type { FileType, FileEntry, ReadFilesOptions, FileTree } from './types.js';
