import { PortcullisError } from '../core/index.js';

export type TlsErrorCode =
  /** The certificate request is unusable: no DNS names, a malformed name or IP, bad validity. */
  | 'TLS_OPTIONS_INVALID'
  /** The CA certificate or key does not parse, is not a CA, has expired, or the key does not match. */
  | 'TLS_CA_INVALID';

/** Thrown by certificate generation on input it cannot use; the message names the input. */
export class TlsError extends PortcullisError<TlsErrorCode> {}
