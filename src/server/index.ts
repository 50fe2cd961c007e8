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
