export { createAdmissionApp, httpStatusFor, DEFAULT_DEADLINE_MS } from './app.js';
export type { AdmissionWebhookOptions } from './app.js';
export { startAdmissionServer } from './server.js';
export type { AdmissionServer, AdmissionServerOptions, WebhookTls } from './server.js';
export { WebhookError } from './errors.js';
export type { WebhookErrorCode } from './errors.js';
