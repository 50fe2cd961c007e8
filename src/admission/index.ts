export { AdmissionError } from './errors.js';
export type { AdmissionErrorCode } from './errors.js';
export {
  parseAdmissionReview,
  parseAdmissionReviewJson,
  buildAdmissionResponse,
  ADMISSION_API_VERSIONS,
  OPERATIONS,
} from './schema.js';
export type {
  AdmissionRequest,
  AdmissionApiVersion,
  Operation,
  JsonPatchOperation,
  AdmissionResponseInput,
  AdmissionReviewResponse,
} from './schema.js';
export { extractPodImages, WORKLOAD_KINDS } from './images.js';
export type { ImageSite, ImageSiteKind, PodImages, RunAs } from './images.js';
export { compileImageGlob, matchesAnyImageGlob, matchesLabelSelector } from './match.js';
export type { ImageGlob, LabelSelector } from './match.js';
export { decide, toAdmissionResponse } from './decide.js';
export type {
  Action,
  AdmissionFacts,
  Decision,
  ExpiredExemption,
  FindingSummary,
  ImageFacts,
  RuleVerdict,
  SignatureFact,
} from './decide.js';
export { planFacts, isEmptyPlan } from './plan.js';
export type { FactPlan, FactSource, ImageNeeds, PlanOptions, RequireSignatureRule } from './plan.js';
export { pinImagesPatch } from './mutate.js';
export type { PinResult, PinnedImage, UnpinnedImage } from './mutate.js';
export {
  importGatekeeperConstraints,
  formatGatekeeperPolicy,
  gatekeeperPolicy,
  GatekeeperImportError,
  GATEKEEPER_CONSTRAINT_KINDS,
} from './gatekeeper.js';
export type {
  GatekeeperImportErrorCode,
  GatekeeperConstraintKind,
  ImportedConstraint,
  ImportedRule,
  ImportedExemption,
} from './gatekeeper.js';
export {
  buildAdmissionManifests,
  assertWebhookNames,
  serviceDnsNames,
  webhookDeadlineMs,
  AdmissionManifestsError,
  DEFAULT_WEBHOOK_NAME,
  DEFAULT_TIMEOUT_SECONDS,
  OPT_OUT_LABEL,
  WEBHOOK_PORT,
  WEBHOOK_UID,
} from './manifests.js';
export type {
  AdmissionManifests,
  AdmissionManifestOptions,
  AdmissionManifestsErrorCode,
  FailurePolicy,
  KubeObject,
  ManifestTls,
} from './manifests.js';
