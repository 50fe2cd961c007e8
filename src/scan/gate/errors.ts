import { PortcullisError } from '../../core/index.js';

/** Codes of the errors the scan gate throws while reading policy inputs. */
export type GateErrorCode =
  /** The ignore file is not YAML, or an entry is malformed (the message names the line). */
  | 'IGNORE_INVALID'
  /** The VEX document is not JSON, or not an OpenVEX 0.2.0 document. */
  | 'VEX_INVALID';

/** An error reading an ignore file or a VEX document. */
export class GateError extends PortcullisError<GateErrorCode> {}
