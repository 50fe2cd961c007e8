export { auditImage, auditImageConfig, loadImageRules } from './entry.js';
export { IMAGE_CONFIG_PATH, MAX_LAYER_FINDINGS } from './constants.js';
export type { ImageAuditOptions } from './audit.js';
export { ImageAuditError } from './errors.js';
export type { ImageAuditErrorCode } from './errors.js';
export type {
  ImageRule,
  ImageHit,
  ImageConfigContext,
  HistoryStep,
  LayerScan,
  PathFate,
  PathTracker,
} from './types.js';
