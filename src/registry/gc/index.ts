// Garbage collection of the registry's blobs and abandoned uploads (mark and sweep).
export { collectGarbage } from './gc.js';
export type { GcOptions, GcReport, CollectedBlob, CollectedUpload } from './gc.js';
