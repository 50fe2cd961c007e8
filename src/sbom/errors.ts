import { PortcullisError } from '../core/index.js';

/** Codes of the errors the sbom capability throws. */
export type SbomErrorCode =
  /** The document is larger than the reader accepts. */
  | 'SBOM_TOO_LARGE'
  /** The bytes are not JSON (or not UTF-8 JSON). */
  | 'SBOM_NOT_JSON'
  /** JSON, but neither CycloneDX nor SPDX (nor an in-toto attestation carrying one). */
  | 'SBOM_FORMAT_UNKNOWN'
  /** A CycloneDX or SPDX version (or SPDX 3 / a CycloneDX XML-only version) the reader does not read. */
  | 'SBOM_VERSION_UNSUPPORTED'
  /** The document's own structure is broken (e.g. `components` is not an array). */
  | 'SBOM_INVALID'
  /** More components or packages than the reader accepts. */
  | 'SBOM_TOO_MANY_PACKAGES'
  /** An option given to a writer is malformed (serial number, document namespace, timestamp). */
  | 'SBOM_OPTION_INVALID';

/** An error of the sbom capability: a document that cannot be read, or a writer option that is invalid. */
export class SbomError extends PortcullisError<SbomErrorCode> {}
