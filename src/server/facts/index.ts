// Admission facts gathered at the edge: registries, the signature verifier and the scanner
// behind the FactSource contract of src/admission.
export { FactSourceError } from './errors.js';
export type { FactSourceErrorCode } from './errors.js';
export { createRegistryFactSource } from './source.js';
export type { RegistryFactSource, RegistryFactSourceOptions, FactSourceStats, FactKind } from './source.js';
export { LookupCache } from './lookup-cache.js';
export type { LookupCacheBounds, LookupCacheStats } from './lookup-cache.js';
export { scanRegistryImage, openRegistryImage, toFindingSummaries } from './scan-image.js';
export type { ScanRegistryImageOptions, RegistryImageScan } from './scan-image.js';
export { requirementForRule, toSignatureFact } from './signature.js';
export type { RuleRequirement } from './signature.js';
