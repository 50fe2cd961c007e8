// The server side: what runs inside `portcullis admission serve` (and, later, `portcullis serve`)
// and wires capabilities to the outside world.
export { createRegistryFactSource, FactSourceError, toFindingSummaries } from './facts/index.js';
export type {
  FactKind,
  FactSourceErrorCode,
  FactSourceStats,
  RegistryFactSource,
  RegistryFactSourceOptions,
} from './facts/index.js';

// Scan-on-push for the registry (`portcullis serve`): the worker, its store and the local image source.
export type { ScanStatus, StoredScan, ScanResultsReader } from './registry/scan-results.js';
export { ScanWorker, vulnDbVersion } from './registry/scan-worker.js';
export type {
  ScanWorkerOptions,
  ScanWorkerEvent,
  ScanWorkerStats,
  ScanWorkerCloseOptions,
  RematchResult,
} from './registry/scan-worker.js';
export {
  SqliteScanStore,
  migrateScanSchema,
  SCAN_SCHEMA_VERSION,
  MAX_SCAN_CHANGES_LIMIT,
} from './registry/scan-store.js';
export type {
  ScanChange,
  ScanChangeQuery,
  ScanJob,
  ScanListQuery,
  ScanSummary,
  StoredInventory,
} from './registry/scan-store.js';
export { ScanWorkerError } from './registry/scan-errors.js';
export type { ScanWorkerErrorCode } from './registry/scan-errors.js';
export { classifyManifest } from './registry/scan-classify.js';
export type { ScanTarget } from './registry/scan-classify.js';
export { LocalRegistryImageSource, readStoredBlob } from './registry/local-image.js';
export type { LocalRegistryImageSourceOptions } from './registry/local-image.js';

// Pull gates and immutable tags for the registry, from the policy file's server.projects.
export { createRegistryGates } from './registry/gates.js';
export type { RegistryGatesOptions } from './registry/gates.js';
export { judgeScan } from './registry/gates-vulnerabilities.js';
export type { GateCheck, VulnerabilitiesRule } from './registry/gates-vulnerabilities.js';
export { createSignatureGate } from './registry/signature-gate.js';
export type { SignatureGate, SignatureGateOptions } from './registry/signature-gate.js';
export { LocalRegistryClient } from './registry/local-client.js';

// The registry's server layer as serve runs it: stores, token key, audit log, scan worker, gates.
export { startRegistryRuntime, TOKEN_KEY_FILE } from './registry/runtime.js';
export type { RegistryRuntime, RegistryRuntimeOptions } from './registry/runtime.js';
