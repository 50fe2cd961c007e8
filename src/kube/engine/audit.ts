import { auditSettings, type AuditIgnoreEntry, type Policy } from '../../policy/index.js';
import type { RuleMeta, Severity } from '../../report/index.js';
import { errorMessage, PortcullisError, truncateForMessage } from '../../core/index.js';
import { formatObjectPath, formatSource } from '../load/parse.js';
import type {
  AuditContext,
  AuditFinding,
  AuditRule,
  LoadedObject,
  ObjectRule,
  PathSegment,
  RuleHit,
} from '../types.js';
import { IGNORE_ANNOTATION, parseIgnoreAnnotation, SUPPRESSION_RULE, type IgnoreEntry } from './suppress.js';

/** A rule threw: a bug in the rule, never a property of the input (exit 70). */
export class AuditEngineError extends PortcullisError<'AUDIT_RULE_FAILED'> {}

/** What {@link auditBundle} runs and with which settings. */
export type AuditOptions = {
  /** The rules to run (usually `KUBE_RULES`); the engine's own PC-K8S-000 always runs. */
  readonly rules: readonly AuditRule[];
  /** Its `audit` section switches rules off, overrides severities and suppresses findings. */
  readonly policy?: Policy;
  /** For `audit.ignore` expiry (default: now). */
  readonly now?: Date;
};

/** Why a finding was left out of the report. */
export type Suppression =
  | { readonly kind: 'annotation'; readonly reason: string }
  | {
      readonly kind: 'policy';
      readonly reason: string;
      readonly location: string;
      readonly expires?: string;
    };

/** A finding a suppression accepted: kept for `--format json` and the summary. */
export type SuppressedFinding = AuditFinding & { readonly suppressedBy: Suppression };

/** A policy `audit.ignore` entry past its date that would still match findings. */
export type ExpiredIgnore = {
  readonly rule: string;
  readonly reason: string;
  readonly expires: string;
  readonly location: string;
  /** How many findings it matched (and now no longer suppresses). */
  readonly findings: number;
};

/** The audit of a bundle: findings to report, suppressed ones, and expired policy entries. */
export type AuditReport = {
  readonly findings: readonly AuditFinding[];
  readonly suppressed: readonly SuppressedFinding[];
  readonly expiredIgnores: readonly ExpiredIgnore[];
};

function isObjectRule(rule: AuditRule): rule is ObjectRule {
  return 'check' in rule;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && Boolean(v) && !Array.isArray(v);
}

function ignoreAnnotation(object: LoadedObject): string | undefined {
  const meta = object.object['metadata'];
  const annotations = isRecord(meta) ? meta['annotations'] : undefined;
  const value = isRecord(annotations) ? annotations[IGNORE_ANNOTATION] : undefined;
  return typeof value === 'string' ? value : undefined;
}

const globCache = new Map<string, RegExp>();

/** `*` any run of characters, `?` one, everything else literal; the whole text must match. */
function globMatches(glob: string | undefined, text: string): boolean {
  if (glob === undefined) return true;
  let re = globCache.get(glob);
  if (re === undefined) {
    const body = glob
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, 's');
    globCache.set(glob, re);
  }
  return re.test(text);
}

function ignoreMatches(entry: AuditIgnoreEntry, f: AuditFinding): boolean {
  return (
    entry.rule === f.ruleId &&
    globMatches(entry.kind, f.resource.kind) &&
    globMatches(entry.namespace, f.resource.namespace ?? '') &&
    globMatches(entry.name, f.resource.name)
  );
}

// A date in the policy applies through that day (UTC), as admission exemptions do.
function isExpired(expires: string | undefined, now: Date): boolean {
  if (expires === undefined) return false;
  return now.getTime() >= Date.parse(`${expires}T00:00:00Z`) + 86_400_000;
}

function compare(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The order reports list findings in: input file order, line, rule id, path, message. */
function sortFindings<T extends AuditFinding>(findings: T[], fileOrder: ReadonlyMap<string, number>): T[] {
  return findings.sort(
    (a, b) =>
      compare(fileOrder.get(a.file) ?? 0, fileOrder.get(b.file) ?? 0) ||
      compare(a.line, b.line) ||
      compare(a.ruleId, b.ruleId) ||
      compare(a.objectPath, b.objectPath) ||
      compare(a.message, b.message),
  );
}

function toFinding(meta: RuleMeta, severity: Severity, object: LoadedObject, hit: RuleHit): AuditFinding {
  return {
    ruleId: meta.id,
    severity,
    title: meta.title,
    message: hit.message,
    hint: meta.hint,
    resource: object.resource,
    objectPath: formatObjectPath(hit.path),
    file: object.source.file,
    line: object.lineOf(hit.path),
    ...(hit.chain === undefined ? {} : { chain: [...hit.chain] }),
  };
}

// A rule that throws has a bug; the error names it and the object so the report can be filed.
function ruleFailed(ruleId: string, where: string, err: unknown): AuditEngineError {
  if (err instanceof AuditEngineError) return err;
  return new AuditEngineError(
    'AUDIT_RULE_FAILED',
    `audit rule ${ruleId} failed${where}: ${truncateForMessage(errorMessage(err), 300)}`,
    { cause: err },
  );
}

const ANNOTATION_PATH: readonly PathSegment[] = ['metadata', 'annotations', IGNORE_ANNOTATION];

/**
 * Runs the audit rules on a bundle: every {@link ObjectRule} on each object, every
 * {@link BundleRule} once. Each hit becomes a finding with its rule's metadata, the object's
 * resource, the path inside the object (`spec.template.spec.containers[0].env[2].value`), file
 * and line. The policy's `audit.rules` switch rules off or change their severity; suppressions
 * (the `portcullis.dev/ignore` annotation on the object, then the policy's `audit.ignore`
 * entries that have not expired) move findings to `suppressed`. A suppression annotation
 * without a reason, or naming no known rule, suppresses nothing and is reported as PC-K8S-000.
 * Findings are ordered by file (in input order), line, rule id, path and message.
 *
 * @throws AuditEngineError AUDIT_RULE_FAILED when a rule throws, naming the rule and object.
 */
export function auditBundle(objects: readonly LoadedObject[], options: AuditOptions): AuditReport {
  const now = options.now ?? new Date();
  const settings = options.policy === undefined ? undefined : auditSettings(options.policy);
  const disabled = new Set(settings?.disabled ?? []);
  const overrides = settings?.severityOverrides ?? {};
  const context: AuditContext = {
    objects,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  };
  const knownIds = new Set([SUPPRESSION_RULE.id, ...options.rules.map((r) => r.meta.id)]);
  const severityOf = (meta: RuleMeta, hit: RuleHit): Severity =>
    overrides[meta.id] ?? hit.severity ?? meta.severity;

  const raw: { finding: AuditFinding; object: LoadedObject }[] = [];
  const annotationEntries = new Map<LoadedObject, readonly IgnoreEntry[]>();
  for (const object of objects) {
    const value = ignoreAnnotation(object);
    if (value === undefined) continue;
    const parsed = parseIgnoreAnnotation(value, knownIds);
    annotationEntries.set(object, parsed.entries);
    if (disabled.has(SUPPRESSION_RULE.id)) continue;
    for (const message of parsed.problems) {
      const hit: RuleHit = { path: ANNOTATION_PATH, message };
      raw.push({
        finding: toFinding(SUPPRESSION_RULE, severityOf(SUPPRESSION_RULE, hit), object, hit),
        object,
      });
    }
  }

  for (const rule of options.rules) {
    if (disabled.has(rule.meta.id)) continue;
    if (isObjectRule(rule)) {
      for (const object of objects) {
        try {
          for (const hit of rule.check(object, context)) {
            raw.push({ finding: toFinding(rule.meta, severityOf(rule.meta, hit), object, hit), object });
          }
        } catch (err) {
          throw ruleFailed(rule.meta.id, ` on ${formatSource(object.source)}`, err);
        }
      }
    } else {
      try {
        for (const hit of rule.checkBundle(context)) {
          raw.push({
            finding: toFinding(rule.meta, severityOf(rule.meta, hit), hit.object, hit),
            object: hit.object,
          });
        }
      } catch (err) {
        throw ruleFailed(rule.meta.id, '', err);
      }
    }
  }

  const annotated: SuppressedFinding[] = [];
  const rest: AuditFinding[] = [];
  for (const { finding, object } of raw) {
    const byAnnotation =
      finding.ruleId === SUPPRESSION_RULE.id
        ? undefined
        : annotationEntries.get(object)?.find((e) => e.ruleIds.includes(finding.ruleId));
    if (byAnnotation === undefined) rest.push(finding);
    else annotated.push({ ...finding, suppressedBy: { kind: 'annotation', reason: byAnnotation.reason } });
  }
  const byPolicy = applyIgnores(rest, settings?.ignore ?? [], now);

  const fileOrder = new Map<string, number>();
  for (const o of objects) if (!fileOrder.has(o.source.file)) fileOrder.set(o.source.file, fileOrder.size);
  return {
    findings: sortFindings([...byPolicy.findings], fileOrder),
    suppressed: sortFindings([...annotated, ...byPolicy.suppressed], fileOrder),
    expiredIgnores: byPolicy.expiredIgnores,
  };
}

// The policy's audit.ignore entries: a live match suppresses, an expired one is reported.
function applyIgnores(
  findings: readonly AuditFinding[],
  ignores: readonly AuditIgnoreEntry[],
  now: Date,
): AuditReport {
  const expiredCounts = new Map<AuditIgnoreEntry, number>();
  const kept: AuditFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of findings) {
    const matching = ignores.filter((e) => ignoreMatches(e, finding));
    const live = matching.find((e) => !isExpired(e.expires, now));
    if (live !== undefined) {
      suppressed.push({
        ...finding,
        suppressedBy: {
          kind: 'policy',
          reason: live.reason,
          location: live.location,
          ...(live.expires === undefined ? {} : { expires: live.expires }),
        },
      });
      continue;
    }
    for (const e of matching) expiredCounts.set(e, (expiredCounts.get(e) ?? 0) + 1);
    kept.push(finding);
  }
  return {
    findings: kept,
    suppressed,
    expiredIgnores: [...expiredCounts].map(([e, n]) => ({
      rule: e.rule,
      reason: e.reason,
      expires: e.expires ?? '',
      location: e.location,
      findings: n,
    })),
  };
}

/**
 * The policy's `audit` section applied to findings made outside {@link auditBundle} (the
 * EncryptionConfiguration audit): rules switched off are dropped, severities replaced, and
 * findings matching a live `audit.ignore` entry moved to `suppressed`.
 */
export function applyAuditPolicy(
  findings: readonly AuditFinding[],
  policy: Policy | undefined,
  now: Date = new Date(),
): AuditReport {
  if (policy === undefined) return { findings, suppressed: [], expiredIgnores: [] };
  const settings = auditSettings(policy);
  const disabled = new Set(settings.disabled);
  const adjusted = findings
    .filter((f) => !disabled.has(f.ruleId))
    .map((f) => {
      const severity = settings.severityOverrides[f.ruleId];
      return severity === undefined ? f : { ...f, severity };
    });
  return applyIgnores(adjusted, settings.ignore, now);
}

/** The findings of {@link auditBundle}, without the suppressed ones. */
export function auditObjects(objects: readonly LoadedObject[], options: AuditOptions): AuditFinding[] {
  return [...auditBundle(objects, options).findings];
}

/** Metadata of every rule the engine may report: `rules` plus its own PC-K8S-000, sorted by id. */
export function auditRuleMetas(rules: readonly AuditRule[]): RuleMeta[] {
  return [SUPPRESSION_RULE, ...rules.map((r) => r.meta)].sort((a, b) => compare(a.id, b.id));
}
