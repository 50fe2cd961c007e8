export { PortcullisError, CoreError, isPortcullisError, truncateForMessage, errorMessage } from './errors.js';
export type { CoreErrorCode } from './errors.js';
export {
  parseDigest,
  tryParseDigest,
  digestAlgorithm,
  digestHex,
  digestOf,
  VerifyingStream,
} from './digest.js';
export type { Digest, DigestAlgorithm } from './digest.js';
export { DEFAULT_LIMITS, resolveLimits } from './limits.js';
export type { Limits } from './limits.js';
export { silentLogger, createMemoryLogger } from './logger.js';
export type { Logger } from './logger.js';
export { normalizeImagePath, imagePathDir, imagePathBase, joinImagePath } from './paths.js';
export { writeFileAtomic, writeStreamAtomic } from './fs.js';
export { defaultCacheDir } from './cachedir.js';
export { redactSecret, isSecretLikeName, isSecretLikeValue, redactEnvEntry } from './redact.js';
export { readZipDirectory, readZipEntry } from './zip.js';
export type { ZipEntry, ZipDirectory } from './zip.js';
