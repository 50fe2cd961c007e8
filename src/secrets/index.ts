export { scanText, scanBuffer, redactText, isBinary, DEFAULT_MAX_SCAN_BYTES } from './scan.js';
export type { ScanTextOptions } from './scan.js';
export {
  BUILTIN_SECRET_RULES,
  awsAccessKeyId,
  awsSecretAccessKey,
  githubToken,
  githubFineGrainedToken,
  gitlabToken,
  slackToken,
  slackWebhook,
  stripeKey,
  npmToken,
  pypiToken,
  azureStorageKey,
  dockerConfigAuth,
  dockerConfigSecret,
  privateKey,
  gcpServiceAccount,
  jwt,
  urlCredentials,
  genericAssignment,
  isGenericSecretValue,
} from './rules.js';
export { isPlaceholderSecret } from './placeholder.js';
export { shannonEntropy } from './entropy.js';
export type { SecretFinding, SecretRule, SecretSeverity, SecretSpan } from './types.js';
