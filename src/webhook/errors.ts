import { PortcullisError } from '../core/index.js';

export type WebhookErrorCode =
  /** An option is unusable: no TLS material, a deadline outside 1 ms to 29 s, a bad grace period. */
  | 'WEBHOOK_OPTIONS_INVALID'
  /** The serving certificate or key does not load (not PEM, or the key is not the certificate's). */
  | 'WEBHOOK_TLS_INVALID'
  /** The server could not listen on the host and port (in use, not permitted, no such address). */
  | 'WEBHOOK_LISTEN_FAILED';

/** Thrown when the admission webhook server cannot start. */
export class WebhookError extends PortcullisError<WebhookErrorCode> {}
