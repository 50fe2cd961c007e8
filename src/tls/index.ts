export { TlsError } from './errors.js';
export type { TlsErrorCode } from './errors.js';
export { generateCertificateAuthority, issueServingCertificate } from './certificates.js';
export type {
  CertificateAndKey,
  CertificateAuthorityOptions,
  ServingCertificateOptions,
} from './certificates.js';
