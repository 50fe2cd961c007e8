// The sbom capability's public door: CycloneDX 1.6 and SPDX 2.3 JSON writers for an image's
// inventory, and a reader that turns CycloneDX and SPDX JSON back into an inventory.
export { SbomError } from './errors.js';
export type { SbomErrorCode } from './errors.js';
export type {
  ImageSubject,
  ImageSubjectLayer,
  SbomTool,
  SbomInput,
  SbomFormat,
  SbomSubject,
  ForeignPackage,
  ReadSbomResult,
  ReadSbomOptions,
} from './types.js';
export { imageSubject } from './subject.js';
export type { ImageSubjectOverrides } from './subject.js';
export { toCycloneDx } from './cyclonedx.js';
export type { SbomJson } from './cyclonedx.js';
export { toSpdx } from './spdx.js';
export { readSbom } from './read.js';
export { ociPurl } from './purl.js';
