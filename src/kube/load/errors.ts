import { PortcullisError } from '../../core/index.js';

export type ManifestErrorCode =
  /** Not YAML or JSON, not UTF-8, an alias bomb, or a document that is not a Kubernetes object; the message names file and document. */
  | 'MANIFESTS_INVALID'
  /** A path that does not exist, is not a file or directory, or cannot be read. */
  | 'MANIFESTS_UNREADABLE'
  /** Over a byte, document, object or file-count cap. */
  | 'MANIFESTS_TOO_LARGE';

/** A manifest file that cannot be read or parsed; the message names the file and document. */
export class ManifestError extends PortcullisError<ManifestErrorCode> {}
