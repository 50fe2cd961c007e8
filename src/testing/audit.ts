// Test-only: audits manifests and renders every output format, and finds secret values that
// leak into any of them. The rule "no output format contains a full secret value" is
// checked with these by every rule author's tests and by the audit's own.
import {
  auditBundle,
  auditRuleMetas,
  formatAuditJson,
  formatAuditSarif,
  formatAuditText,
  loadManifests,
  type AuditReport,
  type AuditRule,
  type ManifestInput,
} from '../kube/index.js';
import type { Policy } from '../policy/index.js';

const TOOL = { name: 'portcullis', version: '0.0.0-test' };

/** One audit rendered in every format `portcullis audit` writes. */
export type RenderedAudit = {
  readonly report: AuditReport;
  readonly text: string;
  readonly json: string;
  readonly sarif: string;
};

/** Renders `report` (of `objects` objects) as text, JSON and SARIF, as the CLI would. */
export function renderAuditAllFormats(
  report: AuditReport,
  objects: number,
  rules: readonly AuditRule[],
): RenderedAudit {
  return {
    report,
    text: formatAuditText(report, objects),
    json: formatAuditJson(report, objects, TOOL),
    sarif: formatAuditSarif(report, TOOL, auditRuleMetas(rules)),
  };
}

/**
 * Loads `manifests` (YAML text, or named inputs), audits them with `rules` and renders every
 * format. Suppressed findings are in the JSON too, so they are searched as well.
 */
export function auditAndRenderAll(
  manifests: string | readonly ManifestInput[],
  rules: readonly AuditRule[],
  policy?: Policy,
): RenderedAudit {
  const inputs = typeof manifests === 'string' ? [{ file: 'fixture.yaml', text: manifests }] : manifests;
  const objects = loadManifests(inputs);
  const report = auditBundle(objects, { rules, ...(policy === undefined ? {} : { policy }) });
  return renderAuditAllFormats(report, objects.length, rules);
}

// The forms a secret can take in a report: as written, as a Secret's data holds it, and as a
// JSON string escapes it (JSON and SARIF output).
function forms(secret: string): [string, string][] {
  const out: [string, string][] = [
    ['raw', secret],
    ['base64', Buffer.from(secret, 'utf8').toString('base64')],
    ['json-escaped', JSON.stringify(secret).slice(1, -1)],
  ];
  return out.filter(([, v], i) => out.findIndex(([, w]) => w === v) === i);
}

/**
 * Every place a full secret appears in the rendered outputs, as `format: secret #i (form)`;
 * empty when none does. Secrets shorter than 6 characters are refused: they would match by
 * chance and prove nothing.
 */
export function findLeakedSecrets(rendered: RenderedAudit, secrets: readonly string[]): string[] {
  const leaks: string[] = [];
  secrets.forEach((secret, i) => {
    if (secret.length < 6) throw new Error(`secret #${i} is too short to search for meaningfully`);
    for (const format of ['text', 'json', 'sarif'] as const) {
      for (const [form, value] of forms(secret)) {
        if (rendered[format].includes(value)) leaks.push(`${format}: secret #${i} (${form})`);
      }
    }
  });
  return leaks;
}
