// `scan --policy`: the policy file's admission rules judged on a scanned image, through the
// same decision core the webhook and `policy test` use. Loaded only when a policy is in play.
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  decide,
  parseAdmissionReview,
  type AdmissionFacts,
  type ExpiredExemption,
  type ImageFacts,
  type RuleVerdict,
} from '../../admission/index.js';
import { tryParseImageRef } from '../../imageref/index.js';
import { loadPolicyFile, POLICY_FILE_NAME, type AdmissionRule, type Policy } from '../../policy/index.js';
import type { Finding, JsonDocument } from '../../scan/index.js';
import { toFindingSummaries } from '../../server/index.js';
import { UsageError, type CliIO } from '../io.js';

/** A loaded policy and how scan applies it. */
export type ScanPolicy = {
  /** The file as the user named it (or the default name), for output. */
  readonly file: string;
  readonly policy: Policy;
  readonly namespace: string;
  /** True for --policy FILE; a default ./portcullis.yaml without rules prints nothing. */
  readonly explicit: boolean;
};

/** What scan knows about the image it judges. */
export type PolicyTarget = {
  /** The target as given on the command line. */
  readonly target: string;
  /** The registry reference (as given, or --reference); undefined for local targets. */
  readonly reference: string | undefined;
  /** What the target is when it has no reference: "a local docker-archive", "an SBOM". */
  readonly localKind: string;
  readonly digest: string | undefined;
  /** The image config's User (`""` is root), or why there is none. */
  readonly user: { readonly user: string } | { readonly error: string };
  /** Every finding the scanner matched: report filters, ignore files and VEX do not apply. */
  readonly findings: readonly Finding[];
};

export type ScanPolicyVerdict = {
  readonly rule: string;
  readonly kind: AdmissionRule['kind'];
  readonly mode: AdmissionRule['mode'];
  /** not-evaluated: scan cannot check this rule here; it neither passes nor fails the gate. */
  readonly outcome: RuleVerdict['outcome'] | 'not-evaluated';
  /** none: not evaluated. */
  readonly action: RuleVerdict['action'] | 'none';
  readonly message: string;
  readonly fix: string;
  readonly exemptedBy?: RuleVerdict['exemptedBy'];
};

/** The policy's verdicts on one scanned image. */
export type ScanPolicyResult = {
  readonly file: string;
  readonly namespace: string;
  /** The image string judged: the reference, or `<target>` (never a valid reference) when local. */
  readonly image: string;
  /** False when reference rules could not apply (a local target without --reference). */
  readonly referenceEvaluated: boolean;
  /** False when an enforce rule denies: the gate fails. */
  readonly allowed: boolean;
  readonly verdicts: readonly ScanPolicyVerdict[];
  readonly expiredExemptions: readonly ExpiredExemption[];
};

// Kubernetes namespace names are RFC 1123 labels; the policy's match.namespaces uses the same.
const NAMESPACE_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The policy scan judges images by: --policy FILE, else ./portcullis.yaml when present (as
 * lint reads it), else none; --no-policy ignores the default file.
 *
 * @throws UsageError for --policy with --no-policy or a bad --namespace; PolicyError from the loader.
 */
export async function loadScanPolicy(
  io: CliIO,
  flags: { readonly policy?: string; readonly noPolicy: boolean; readonly namespace?: string },
): Promise<ScanPolicy | undefined> {
  if (flags.noPolicy && flags.policy !== undefined)
    throw new UsageError('--policy and --no-policy exclude each other');
  if (flags.namespace !== undefined && !NAMESPACE_RE.test(flags.namespace)) {
    throw new UsageError(
      `--namespace "${flags.namespace.slice(0, 70)}" is not a Kubernetes namespace name (RFC 1123 label)`,
    );
  }
  const file = flags.noPolicy ? undefined : (flags.policy ?? POLICY_FILE_NAME);
  const resolved = file === undefined ? undefined : path.resolve(io.cwd, file);
  if (file === undefined || resolved === undefined || (flags.policy === undefined && !existsSync(resolved))) {
    if (flags.namespace !== undefined) throw new UsageError('--namespace is for --policy');
    return undefined;
  }
  return {
    file,
    policy: await loadPolicyFile(resolved),
    namespace: flags.namespace ?? 'default',
    explicit: flags.policy !== undefined,
  };
}

function notEvaluated(
  v: RuleVerdict,
  target: PolicyTarget,
): { readonly message: string; readonly fix: string } | undefined {
  switch (v.kind) {
    case 'requireSignature':
      return {
        message: `not evaluated: scan does not verify signatures`,
        fix: `check it with portcullis verify --key KEY ${target.reference ?? 'IMAGE'} (or at admission)`,
      };
    case 'requirePullSecretsFor':
      return {
        message: 'not evaluated: imagePullSecrets belong to the pod, which a scan has none of',
        fix: 'check the manifests with portcullis policy test',
      };
    case 'allowedRegistries':
    case 'disallowTags':
    case 'requireDigest':
      if (target.reference !== undefined) return undefined;
      return {
        message: `not evaluated: ${target.target} is ${target.localKind} with no registry reference`,
        fix: 'pass --reference REF (the reference it will be deployed as), or scan it in the registry',
      };
    case 'requireNonRoot':
    case 'vulnerabilities':
      return undefined;
  }
}

/**
 * Judges one scanned image by the policy: the image is wrapped in a Pod (CREATE in the policy's
 * namespace, no securityContext, no imagePullSecrets) and handed to `decide` with the facts this
 * scan gathered. Rules scan cannot check (signatures, pull secrets, and reference rules for a
 * local target) are reported as not evaluated: they neither pass nor fail the gate.
 */
export function evaluateScanPolicy(sp: ScanPolicy, target: PolicyTarget, now: Date): ScanPolicyResult {
  // A local target's stand-in name is never a valid reference, so no image glob but `**` matches it.
  const image = target.reference ?? `<${target.target}>`;
  if (target.reference === undefined && tryParseImageRef(image) !== undefined) {
    throw new UsageError(`cannot judge ${target.target}: its stand-in name parses as a reference`);
  }
  const request = parseAdmissionReview({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'portcullis-scan',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: 'portcullis-scan',
      namespace: sp.namespace,
      operation: 'CREATE',
      dryRun: true,
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'portcullis-scan', namespace: sp.namespace },
        spec: { containers: [{ name: 'scanned', image }] },
      },
    },
  });
  const imageFacts: ImageFacts = {
    ...(target.digest === undefined ? {} : { digest: target.digest }),
    config: target.user,
    scan: { findings: toFindingSummaries(target.findings) },
  };
  const facts: AdmissionFacts = { images: { [image]: imageFacts } };
  const decision = decide(request, sp.policy, facts, now);

  const verdicts: ScanPolicyVerdict[] = decision.verdicts.map((v) => {
    const base = { rule: v.rule, kind: v.kind, mode: v.mode };
    const skipped = notEvaluated(v, target);
    if (skipped !== undefined) return { ...base, outcome: 'not-evaluated', action: 'none', ...skipped };
    return {
      ...base,
      outcome: v.outcome,
      action: v.action,
      message: v.message,
      fix: v.fix,
      ...(v.exemptedBy === undefined ? {} : { exemptedBy: v.exemptedBy }),
    };
  });
  // Rules scoped by image name never reach a local target's stand-in name: say so, not nothing.
  if (target.reference === undefined) {
    const judged = new Set(verdicts.map((v) => v.rule));
    for (const rule of sp.policy.rules ?? []) {
      if (judged.has(rule.name) || rule.match?.images === undefined) continue;
      verdicts.push({
        rule: rule.name,
        kind: rule.kind,
        mode: rule.mode,
        outcome: 'not-evaluated',
        action: 'none',
        message: `not evaluated: the rule is scoped by match.images and ${target.target} is ${target.localKind} with no registry reference`,
        fix: 'pass --reference REF (the reference it will be deployed as)',
      });
    }
  }
  return {
    file: sp.file,
    namespace: sp.namespace,
    image,
    referenceEvaluated: target.reference !== undefined,
    allowed: !verdicts.some((v) => v.action === 'deny'),
    verdicts,
    expiredExemptions: decision.expiredExemptions,
  };
}

function count(r: ScanPolicyResult) {
  const n = (action: ScanPolicyVerdict['action']) => r.verdicts.filter((v) => v.action === action).length;
  return { deny: n('deny'), warn: n('warn'), audit: n('audit'), notEvaluated: n('none') };
}

const LABEL: Readonly<Record<ScanPolicyVerdict['action'], string>> = {
  allow: 'pass',
  deny: 'DENY',
  warn: 'warn',
  audit: 'audit',
  none: 'n/a',
};

/** The text report's Policy section, printed after the findings. */
export function formatPolicyText(r: ScanPolicyResult): string {
  const c = count(r);
  const lines = [
    `Policy ${r.file} (namespace ${r.namespace}): ${r.allowed ? 'passed' : 'DENIED'} ` +
      `(${c.deny} denied, ${c.warn} warning(s), ${c.audit} audit, ${c.notEvaluated} not evaluated)`,
  ];
  if (r.verdicts.length === 0) lines.push('  no rule applies to this image');
  for (const v of r.verdicts) {
    const label = v.exemptedBy !== undefined ? 'exempt' : LABEL[v.action];
    lines.push(`  ${label.padEnd(6)} ${v.rule} (${v.kind}, ${v.mode})`);
    if (v.outcome === 'pass') continue;
    lines.push(`         ${v.message}`);
    if (v.exemptedBy !== undefined) lines.push(`         exempted: ${v.exemptedBy.reason}`);
    else lines.push(`         fix: ${v.fix}`);
  }
  for (const x of r.expiredExemptions) {
    lines.push(`  expired exemption "${x.reason}" (${x.expires}) no longer covers rule ${x.rule}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The `policy` object of the scan JSON (docs/scan-json.md). */
export function policyJson(r: ScanPolicyResult): JsonDocument {
  return {
    file: r.file,
    namespace: r.namespace,
    image: r.image,
    referenceEvaluated: r.referenceEvaluated,
    allowed: r.allowed,
    summary: count(r),
    verdicts: r.verdicts,
    expiredExemptions: r.expiredExemptions.map((x) => ({
      rule: x.rule,
      reason: x.reason,
      expires: x.expires,
    })),
  };
}

const SARIF_LEVEL: Readonly<Partial<Record<ScanPolicyVerdict['action'], string>>> = {
  deny: 'error',
  warn: 'warning',
  audit: 'note',
};

/**
 * Adds the policy's deny, warn and audit verdicts to a scan SARIF log as results of rules
 * `policy/NAME` (passes, exemptions and rules not evaluated are left out).
 */
export function withPolicySarif(sarif: JsonDocument, r: ScanPolicyResult): JsonDocument {
  const runs = sarif['runs'];
  if (!Array.isArray(runs)) return sarif;
  const [run] = runs as { tool: { driver: { rules: JsonDocument[] } }; results: JsonDocument[] }[];
  if (run === undefined) return sarif;
  const shown = r.verdicts.filter((v) => SARIF_LEVEL[v.action] !== undefined && v.exemptedBy === undefined);
  for (const v of shown) {
    const id = `policy/${v.rule}`;
    let index = run.tool.driver.rules.findIndex((rule) => rule['id'] === id);
    if (index < 0) {
      index = run.tool.driver.rules.length;
      run.tool.driver.rules.push({
        id,
        name: v.rule,
        shortDescription: { text: `policy rule ${v.rule} (${v.kind}, ${v.mode})` },
        help: { text: v.fix },
        properties: { tags: ['policy', v.kind] },
      });
    }
    run.results.push({
      ruleId: id,
      ruleIndex: index,
      level: SARIF_LEVEL[v.action],
      message: { text: `${v.message}; fix: ${v.fix}` },
      locations: [{ logicalLocations: [{ name: r.image, kind: 'image' }] }],
    });
  }
  return sarif;
}
