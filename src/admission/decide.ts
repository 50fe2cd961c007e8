import { truncateForMessage } from '../core/index.js';
import { formatImageRef, matchesRepositoryPrefix, tryParseImageRef } from '../imageref/index.js';
import type { ImageRef } from '../imageref/index.js';
import type { AdmissionRule, Exemption, Policy, Severity } from '../policy/index.js';
import { extractPodImages } from './images.js';
import type { ImageSite, PodImages } from './images.js';
import { matchesAnyImageGlob, matchesLabelSelector } from './match.js';
import { buildAdmissionResponse } from './schema.js';
import type { AdmissionRequest, AdmissionReviewResponse } from './schema.js';

/** One finding from a scan, reduced to what the vulnerabilities rule needs. */
export type FindingSummary = {
  readonly id: string;
  readonly aliases?: readonly string[];
  readonly severity: Severity;
  readonly package?: string;
  /** Set when a fixed version exists; `ignoreUnfixed` skips findings without one. */
  readonly fixedVersion?: string;
};

/** A signature check against one rule's keys and identities, or why it could not be made. */
export type SignatureFact =
  { readonly satisfied: boolean; readonly reasons: readonly string[] } | { readonly error: string };

/** What was gathered about one image before deciding; `{ error }` says the lookup failed and why. */
export type ImageFacts = {
  readonly digest?: string;
  /** Why the tag could not be resolved to a digest, when it could not (the mutating endpoint says so). */
  readonly digestError?: string;
  /** The image config's `User` (`""` means root). */
  readonly config?: { readonly user: string } | { readonly error: string };
  readonly signature?: SignatureFact;
  /**
   * Per requireSignature rule (by name), for policies whose rules accept different keys; a rule
   * without an entry here reads `signature`.
   */
  readonly signatures?: Readonly<Record<string, SignatureFact>>;
  readonly scan?: { readonly findings: readonly FindingSummary[] } | { readonly error: string };
};

/** Facts gathered at the edge; the decision itself does no I/O. */
export type AdmissionFacts = {
  /** Keyed by the image string exactly as written in the object. */
  readonly images?: Readonly<Record<string, ImageFacts>>;
  /**
   * The namespace's labels, for `namespaceSelector`. When absent only the label the API server
   * always sets, `kubernetes.io/metadata.name`, is known.
   */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
};

/** allow: nothing to object to; deny: enforce violation; warn: admitted with a warning; audit: admitted and recorded. */
export type Action = 'allow' | 'deny' | 'warn' | 'audit';

/** The verdict of one rule on one image. */
export type RuleVerdict = {
  readonly image: string;
  readonly path: string;
  readonly container: string;
  readonly rule: string;
  readonly kind: AdmissionRule['kind'];
  readonly mode: AdmissionRule['mode'];
  /** pass: the rule holds; violation: it does not; error: a fact it needs could not be gathered. */
  readonly outcome: 'pass' | 'violation' | 'error';
  readonly action: Action;
  /** Names the image, the rule and what is wrong; empty for a pass. */
  readonly message: string;
  /** How to fix it; empty for a pass. */
  readonly fix: string;
  /** Set when an exemption turned a violation or error into an allow. */
  readonly exemptedBy?: { readonly reason: string; readonly expires?: string };
};

export type ExpiredExemption = {
  readonly index: number;
  readonly reason: string;
  readonly expires: string;
  readonly image: string;
  readonly rule: string;
};

export type Decision = {
  readonly uid: string;
  readonly allowed: boolean;
  /** Why nothing was judged, when nothing was: DELETE, a kind without pods, a subresource. */
  readonly skipped?: string;
  readonly verdicts: readonly RuleVerdict[];
  /** The denial text for `status.message` (empty when allowed). */
  readonly message: string;
  readonly warnings: readonly string[];
  readonly audit: readonly RuleVerdict[];
  /** Exemptions that matched but had expired, so the rule applied. */
  readonly expiredExemptions: readonly ExpiredExemption[];
};

const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  info: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};

type Check =
  | { readonly outcome: 'pass' }
  | { readonly outcome: 'violation' | 'error'; readonly message: string; readonly fix: string };

const PASS: Check = { outcome: 'pass' };

function quote(image: string): string {
  return `"${truncateForMessage(image, 200)}"`;
}

function unparsable(image: string): Check {
  return {
    outcome: 'violation',
    message: `image ${quote(image)} is not a valid image reference`,
    fix: 'write the image as registry/repository:tag or registry/repository@sha256:…',
  };
}

// The end of a day given as YYYY-MM-DD: an exemption or ignore entry applies through that day (UTC).
export function hasExpired(expires: string | undefined, now: Date): boolean {
  if (expires === undefined) return false;
  return now.getTime() >= Date.parse(`${expires}T00:00:00Z`) + 24 * 60 * 60 * 1000;
}

function checkAllowedRegistries(
  rule: Extract<AdmissionRule, { kind: 'allowedRegistries' }>,
  policy: Policy,
  image: string,
  ref: ImageRef | undefined,
): Check {
  if (ref === undefined) return unparsable(image);
  const list = rule.registries ?? policy.registries?.trusted ?? [];
  if (list.some((p) => matchesRepositoryPrefix(ref, p))) return PASS;
  const shown = list.slice(0, 5).join(', ') + (list.length > 5 ? `, … (${list.length} in all)` : '');
  return {
    outcome: 'violation',
    message: `image ${quote(image)} (${formatImageRef(ref)}) is not from an allowed registry (allowed: ${shown || 'none'})`,
    fix: `pull it from one of the allowed registries, or add its registry to rule "${rule.name}"`,
  };
}

function checkDisallowTags(
  rule: Extract<AdmissionRule, { kind: 'disallowTags' }>,
  image: string,
  ref: ImageRef | undefined,
): Check {
  if (ref === undefined) return unparsable(image);
  // A digest is what the runtime pulls, so `name:latest@sha256:…` runs one fixed image: the tag
  // is decoration. This is also the form the mutating webhook writes, which must pass.
  if (ref.digest !== undefined) return PASS;
  const tag = ref.tag ?? 'latest';
  if (!rule.tags.includes(tag)) return PASS;
  return {
    outcome: 'violation',
    message: `image ${quote(image)} uses the tag "${tag}"${ref.tag === undefined ? ' (no tag means latest)' : ''}, which is disallowed`,
    fix: 'use a versioned tag or pin the image by digest (name@sha256:…)',
  };
}

function checkRequireDigest(image: string, ref: ImageRef | undefined): Check {
  if (ref === undefined) return unparsable(image);
  if (ref.digest !== undefined) return PASS;
  return {
    outcome: 'violation',
    message: `image ${quote(image)} is not pinned by digest`,
    fix: 'reference it as name@sha256:… (or name:tag@sha256:…); the mutating webhook can pin it',
  };
}

function checkPullSecrets(
  rule: Extract<AdmissionRule, { kind: 'requirePullSecretsFor' }>,
  pod: PodImages,
  image: string,
  ref: ImageRef | undefined,
): Check {
  if (ref === undefined) return unparsable(image);
  const from = rule.registries.find((p) => matchesRepositoryPrefix(ref, p));
  if (from === undefined || pod.imagePullSecrets.length > 0) return PASS;
  return {
    outcome: 'violation',
    message: `image ${quote(image)} comes from ${from}, but the pod has no imagePullSecrets`,
    fix: 'add spec.imagePullSecrets naming a Secret with credentials for that registry',
  };
}

// Only a numeric, non-zero uid is provably not root: the kubelet itself refuses runAsNonRoot
// for a named user it cannot resolve.
function isNonRootImageUser(user: string): boolean {
  const uid = user.split(':')[0] ?? '';
  return /^\d+$/.test(uid) && Number(uid) !== 0;
}

function checkNonRoot(site: ImageSite, facts: ImageFacts | undefined): Check {
  if (site.runAs === undefined) return PASS; // an image volume runs nothing
  const { runAsUser, runAsNonRoot } = site.runAs;
  const fix =
    'set securityContext.runAsNonRoot: true and a non-zero runAsUser (pod or container), or build the image with a numeric non-root USER';
  if (runAsUser === 0) {
    return {
      outcome: 'violation',
      message: `container "${site.name}" (${quote(site.image)}) runs as uid 0`,
      fix,
    };
  }
  if (runAsUser !== undefined || runAsNonRoot === true) return PASS;
  const config = facts?.config;
  if (config === undefined || 'error' in config) {
    return {
      outcome: 'error',
      message: `container "${site.name}" sets neither runAsNonRoot nor runAsUser, and the user of image ${quote(site.image)} is unknown (${config === undefined ? 'no image config was gathered' : config.error})`,
      fix,
    };
  }
  if (isNonRootImageUser(config.user)) return PASS;
  return {
    outcome: 'violation',
    message: `container "${site.name}" may run as root: no runAsNonRoot or runAsUser, and image ${quote(site.image)} has user "${config.user || 'root (unset)'}"`,
    fix,
  };
}

function checkSignature(rule: string, image: string, facts: ImageFacts | undefined): Check {
  const sig = facts?.signatures?.[rule] ?? facts?.signature;
  const fix = 'sign the image with an accepted key or identity (portcullis sign), or use a signed image';
  if (sig === undefined) {
    return { outcome: 'error', message: `no signature verification result for image ${quote(image)}`, fix };
  }
  if ('error' in sig) {
    return {
      outcome: 'error',
      message: `could not verify the signature of image ${quote(image)}: ${sig.error}`,
      fix,
    };
  }
  if (sig.satisfied) return PASS;
  return {
    outcome: 'violation',
    message: `image ${quote(image)} has no accepted signature: ${sig.reasons.slice(0, 3).join('; ') || 'no reason given'}`,
    fix,
  };
}

function checkVulnerabilities(
  rule: Extract<AdmissionRule, { kind: 'vulnerabilities' }>,
  image: string,
  facts: ImageFacts | undefined,
  now: Date,
): Check {
  const scan = facts?.scan;
  const fix =
    "rebuild on a patched base or upgrade the packages, or add the advisory to the rule's ignore list with a reason";
  if (scan === undefined) {
    return { outcome: 'error', message: `no scan result for image ${quote(image)}`, fix };
  }
  if ('error' in scan) {
    return { outcome: 'error', message: `could not scan image ${quote(image)}: ${scan.error}`, fix };
  }
  const ignored = new Set(
    (rule.ignore ?? []).filter((i) => !hasExpired(i.expires, now)).map((i) => i.id.toUpperCase()),
  );
  const failing = scan.findings.filter(
    (f) =>
      SEVERITY_RANK[f.severity] >= SEVERITY_RANK[rule.failOn] &&
      !(rule.ignoreUnfixed && f.fixedVersion === undefined) &&
      ![f.id, ...(f.aliases ?? [])].some((id) => ignored.has(id.toUpperCase())),
  );
  if (failing.length === 0) return PASS;
  const shown = failing
    .slice(0, 5)
    .map(
      (f) =>
        `${f.id} (${f.severity}${f.package !== undefined ? `, ${f.package}` : ''}${f.fixedVersion !== undefined ? `, fixed in ${f.fixedVersion}` : ''})`,
    )
    .join(', ');
  return {
    outcome: 'violation',
    message: `image ${quote(image)} has ${failing.length} finding(s) at or above ${rule.failOn}: ${shown}${failing.length > 5 ? ', …' : ''}`,
    fix,
  };
}

function check(
  rule: AdmissionRule,
  policy: Policy,
  pod: PodImages,
  site: ImageSite,
  facts: AdmissionFacts,
  now: Date,
): Check {
  const ref = tryParseImageRef(site.image);
  const imageFacts = facts.images?.[site.image];
  switch (rule.kind) {
    case 'allowedRegistries':
      return checkAllowedRegistries(rule, policy, site.image, ref);
    case 'disallowTags':
      return checkDisallowTags(rule, site.image, ref);
    case 'requireDigest':
      return checkRequireDigest(site.image, ref);
    case 'requirePullSecretsFor':
      return checkPullSecrets(rule, pod, site.image, ref);
    case 'requireNonRoot':
      return checkNonRoot(site, imageFacts);
    case 'requireSignature':
      return checkSignature(rule.name, site.image, imageFacts);
    case 'vulnerabilities':
      return checkVulnerabilities(rule, site.image, imageFacts, now);
  }
}

export function ruleApplies(
  rule: AdmissionRule,
  namespace: string,
  namespaceLabels: Readonly<Record<string, string>>,
  pod: PodImages,
  image: string,
): boolean {
  const m = rule.match;
  if (m === undefined) return true;
  if (m.namespaces !== undefined && !m.namespaces.includes(namespace)) return false;
  if (m.excludeNamespaces?.includes(namespace) === true) return false;
  if (m.namespaceSelector !== undefined && !matchesLabelSelector(m.namespaceSelector, namespaceLabels))
    return false;
  if (m.objectSelector !== undefined && !matchesLabelSelector(m.objectSelector, pod.labels)) return false;
  if (m.images !== undefined && !matchesAnyImageGlob(image, m.images)) return false;
  return true;
}

export function exemptionMatches(e: Exemption, rule: string, namespace: string, image: string): boolean {
  if (e.rules !== undefined && !e.rules.includes(rule)) return false;
  if (e.namespaces !== undefined && !e.namespaces.includes(namespace)) return false;
  if (e.images !== undefined && !matchesAnyImageGlob(image, e.images)) return false;
  return true;
}

function actionFor(rule: AdmissionRule, outcome: Check['outcome']): Action {
  if (outcome === 'pass') return 'allow';
  // onError: allow admits, and always says so: a failed lookup is never a silent pass.
  if (outcome === 'error' && rule.onError === 'allow') return 'warn';
  switch (rule.mode) {
    case 'enforce':
      return 'deny';
    case 'warn':
      return 'warn';
    case 'audit':
      return 'audit';
  }
}

function allowed(uid: string, skipped: string): Decision {
  return {
    uid,
    allowed: true,
    skipped,
    verdicts: [],
    message: '',
    warnings: [],
    audit: [],
    expiredExemptions: [],
  };
}

/**
 * Decides an admission request from the policy and facts gathered beforehand: every rule on
 * every image of the Pod or pod template, each verdict naming the image, the rule and the fix.
 * DELETE and CONNECT are allowed; UPDATE is judged on the new object; a subresource other than
 * `pods/ephemeralcontainers` is allowed (it cannot change images).
 *
 * @throws AdmissionError ADMISSION_OBJECT_INVALID when the object does not have its kind's shape.
 */
export function decide(
  request: AdmissionRequest,
  policy: Policy,
  facts: AdmissionFacts,
  now: Date,
): Decision {
  if (request.operation === 'DELETE' || request.operation === 'CONNECT') {
    return allowed(request.uid, `${request.operation} runs no new image`);
  }
  if (request.subResource !== undefined && request.subResource !== 'ephemeralcontainers') {
    return allowed(request.uid, `subresource ${request.subResource} cannot change images`);
  }
  const pod = extractPodImages(request.kind.kind, request.object ?? {});
  if (pod === undefined) return allowed(request.uid, `${request.kind.kind} runs no pods`);
  const namespace = request.namespace ?? pod.namespace ?? 'default';
  const namespaceLabels = facts.namespaceLabels ?? { 'kubernetes.io/metadata.name': namespace };

  const verdicts: RuleVerdict[] = [];
  const expiredExemptions: ExpiredExemption[] = [];
  for (const site of pod.images) {
    for (const rule of policy.rules ?? []) {
      if (!ruleApplies(rule, namespace, namespaceLabels, pod, site.image)) continue;
      const result = check(rule, policy, pod, site, facts, now);
      const base = {
        image: site.image,
        path: site.path,
        container: site.name,
        rule: rule.name,
        kind: rule.kind,
        mode: rule.mode,
      };
      if (result.outcome === 'pass') {
        verdicts.push({ ...base, outcome: 'pass', action: 'allow', message: '', fix: '' });
        continue;
      }
      let exemption: Exemption | undefined;
      (policy.exemptions ?? []).forEach((e, index) => {
        if (exemption !== undefined || !exemptionMatches(e, rule.name, namespace, site.image)) return;
        if (e.expires !== undefined && hasExpired(e.expires, now)) {
          expiredExemptions.push({
            index,
            reason: e.reason,
            expires: e.expires,
            image: site.image,
            rule: rule.name,
          });
        } else {
          exemption = e;
        }
      });
      const message = `rule "${rule.name}" (${rule.kind}): ${result.message}`;
      if (exemption !== undefined) {
        verdicts.push({
          ...base,
          outcome: result.outcome,
          action: 'allow',
          message,
          fix: result.fix,
          exemptedBy: {
            reason: exemption.reason,
            ...(exemption.expires !== undefined ? { expires: exemption.expires } : {}),
          },
        });
      } else {
        verdicts.push({
          ...base,
          outcome: result.outcome,
          action: actionFor(rule, result.outcome),
          message,
          fix: result.fix,
        });
      }
    }
  }

  const denials = verdicts.filter((v) => v.action === 'deny');
  const warnings = [
    ...verdicts
      .filter((v) => v.action === 'warn')
      .map((v) => `${v.message}${v.outcome === 'error' ? ' (admitted: onError allow)' : ''}`),
    ...expiredExemptions.map(
      (x) =>
        `exemption "${truncateForMessage(x.reason, 60)}" expired on ${x.expires}; rule "${x.rule}" applies to ${quote(x.image)}`,
    ),
  ];
  const message = denials.map((v) => `${v.message}; fix: ${v.fix}`).join('\n');
  return {
    uid: request.uid,
    allowed: denials.length === 0,
    verdicts,
    message: denials.length === 0 ? '' : `${request.kind.kind} denied by policy:\n${message}`,
    warnings: [...new Set(warnings)],
    audit: verdicts.filter((v) => v.action === 'audit'),
    expiredExemptions,
  };
}

/** The AdmissionReview response for a decision: 403 with the denial text, or allowed with warnings. */
export function toAdmissionResponse(request: AdmissionRequest, decision: Decision): AdmissionReviewResponse {
  return buildAdmissionResponse({
    apiVersion: request.apiVersion,
    uid: request.uid,
    allowed: decision.allowed,
    ...(decision.allowed ? {} : { code: 403, message: decision.message }),
    warnings: decision.warnings,
  });
}
