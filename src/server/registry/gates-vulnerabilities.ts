import type { AdmissionRule } from '../../policy/index.js';
import type { Digest } from '../../core/index.js';
import { SEVERITIES } from '../../policy/index.js';
import { applyPolicy, type Finding, type VexStatement } from '../../scan/index.js';
import { toFindingSummaries } from '../facts/index.js';
import type { StoredScan } from './scan-results.js';

/** A vulnerabilities rule of the policy's rules list. */
export type VulnerabilitiesRule = Extract<AdmissionRule, { kind: 'vulnerabilities' }>;

/**
 * One rule's verdict on one manifest: `pending` while its scan waits (whileScanning decides),
 * `error` when a fact could not be had (onError decides).
 */
export type GateCheck =
  | { readonly outcome: 'pass' }
  | { readonly outcome: 'violation' | 'error' | 'pending'; readonly message: string };

/** Findings named in a refusal; the rest are counted. */
const SHOWN = 5;

function rank(s: (typeof SEVERITIES)[number]): number {
  // SEVERITIES runs from critical down: a lower index is more severe.
  return SEVERITIES.indexOf(s);
}

function describe(f: Finding, severity: string): string {
  const fix = f.fixedVersion === undefined ? 'no fix yet' : `fixed in ${f.fixedVersion}`;
  return `${f.id} (${severity}, ${f.package.name} ${f.installedVersion}, ${fix})`;
}

/**
 * Judges a stored scan against a vulnerabilities rule: VEX statements (not_affected, fixed),
 * the rule's ignore entries that have not expired and `ignoreUnfixed` through the scan gate's
 * applyPolicy; then the findings at or above `failOn` on the policy's scale (the same mapping
 * admission reads, toFindingSummaries) fail it. Failed or unsupported scans are errors: a
 * manifest that could not be scanned is never passed as clean.
 */
export function judgeScan(
  digest: Digest,
  scan: StoredScan | undefined,
  rule: VulnerabilitiesRule,
  context: {
    readonly vex: readonly VexStatement[];
    readonly subjectIds: readonly string[];
    readonly now: Date;
  },
): GateCheck {
  if (scan === undefined) return { outcome: 'error', message: `${digest} has not been scanned` };
  switch (scan.status) {
    case 'pending':
      return { outcome: 'pending', message: `the scan of ${digest} has not finished; try again shortly` };
    case 'failed':
      return {
        outcome: 'error',
        message: `the scan of ${digest} failed: ${scan.error ?? 'no reason given'}`,
      };
    case 'unsupported':
      return { outcome: 'error', message: `${digest} cannot be scanned: ${scan.error ?? 'no reason given'}` };
    case 'done':
      break;
  }
  const { kept } = applyPolicy(scan.findings, {
    ignore: (rule.ignore ?? []).map((i) => ({
      id: i.id,
      reason: i.reason,
      ...(i.expires === undefined ? {} : { expires: i.expires }),
    })),
    ignoreUnfixed: rule.ignoreUnfixed,
    vex: context.vex,
    subject: { ids: context.subjectIds },
    now: context.now,
  });
  const severities = toFindingSummaries(kept).map((s) => s.severity);
  const failing = kept
    .map((f, i) => ({ f, severity: severities[i] ?? 'info' }))
    .filter((x) => rank(x.severity) <= rank(rule.failOn))
    // The worst first, so that the message names what matters.
    .sort((a, b) => rank(a.severity) - rank(b.severity));
  if (failing.length === 0) return { outcome: 'pass' };
  const shown = failing.slice(0, SHOWN).map((x) => describe(x.f, x.severity));
  const more = failing.length > SHOWN ? `, and ${failing.length - SHOWN} more` : '';
  return { outcome: 'violation', message: `${shown.join(', ')}${more}` };
}
