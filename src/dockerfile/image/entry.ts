import type { Image } from '../../oci/index.js';
import type { LintFinding } from '../../report/index.js';
import type { ImageAuditOptions } from './audit.js';
import type { ImageRule } from './types.js';

// audit.ts reads images through the oci capability (sources, layer reader, zod schemas), about
// as much start-up again as the Dockerfile linter itself. It is loaded on first use so that
// `portcullis lint` on Dockerfiles alone stays within its cold-start budget (300 ms to first
// output).

/**
 * Audits a whole image: config, history, and every entry of every layer, deleted files
 * included. See audit.ts `auditImage`.
 *
 * @throws OciError from reading the layers (DIFFID_MISMATCH, LAYER_INVALID, LIMIT_EXCEEDED, ...).
 */
export async function auditImage(image: Image, options: ImageAuditOptions = {}): Promise<LintFinding[]> {
  const audit = await import('./audit.js');
  return audit.auditImage(image, options);
}

/**
 * Audits an image config alone (pure once loaded). See audit.ts `auditImageConfig`.
 *
 * @throws ImageAuditError IMAGE_CONFIG_INVALID when `config` is not an image config.
 */
export async function auditImageConfig(
  config: unknown,
  options: ImageAuditOptions = {},
): Promise<LintFinding[]> {
  const audit = await import('./audit.js');
  return audit.auditImageConfig(config, options);
}

/**
 * The image audit's rules (PC-IMG-NNN), for callers that need their metadata: the policy's
 * rule ids, SARIF rule descriptions, the rules index. Loaded on demand like the audit.
 */
export async function loadImageRules(): Promise<readonly ImageRule[]> {
  const rules = await import('./rules/index.js');
  return rules.allImageRules;
}
