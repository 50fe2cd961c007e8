import { tryParseImageRef } from '../imageref/index.js';
import type { ImageRef } from '../imageref/index.js';
import type { AdmissionRule, Policy } from '../policy/index.js';
import { exemptionMatches, hasExpired, ruleApplies } from './decide.js';
import type { AdmissionFacts } from './decide.js';
import { extractPodImages } from './images.js';
import type { AdmissionRequest } from './schema.js';

export type RequireSignatureRule = Extract<AdmissionRule, { kind: 'requireSignature' }>;

/** What must be looked up about one image before `decide` can judge it. */
export type ImageNeeds = {
  /** The image string exactly as written in the object (the key of `AdmissionFacts.images`). */
  readonly image: string;
  readonly ref: ImageRef;
  /** Resolve the tag to a digest: for pinning, and as the key every other fact is cached by. */
  readonly digest: boolean;
  /** Read the image config's user (a requireNonRoot rule with no runAsUser/runAsNonRoot set). */
  readonly config: boolean;
  /** Scan the image (a vulnerabilities rule applies). */
  readonly scan: boolean;
  /** The requireSignature rules that apply; each is verified on its own keys and identities. */
  readonly signatures: readonly RequireSignatureRule[];
};

/** The lookups one admission request needs, one entry per distinct image. */
export type FactPlan = {
  readonly images: readonly ImageNeeds[];
};

export type PlanOptions = {
  /** Also resolve digests for every tagged image (the mutating endpoint pins them). */
  readonly pin?: boolean;
  readonly namespaceLabels?: Readonly<Record<string, string>>;
};

/** True when nothing in the plan needs the registry: the decision can be made at once. */
export function isEmptyPlan(plan: FactPlan): boolean {
  return plan.images.length === 0;
}

/**
 * Works out which facts `decide` will read for this request, so that the edge fetches only
 * those: an allowlist-and-tag policy needs no registry call at all. Rules that do not apply to
 * an image, or whose violation an unexpired exemption would waive, ask for nothing. Images that
 * do not parse are left out (decide reports them without facts).
 *
 * @throws AdmissionError ADMISSION_OBJECT_INVALID when the object does not have its kind's shape.
 */
export function planFacts(request: AdmissionRequest, policy: Policy, options: PlanOptions = {}): FactPlan {
  if (request.operation === 'DELETE' || request.operation === 'CONNECT') return { images: [] };
  if (request.subResource !== undefined && request.subResource !== 'ephemeralcontainers') {
    return { images: [] };
  }
  const pod = extractPodImages(request.kind.kind, request.object ?? {});
  if (pod === undefined) return { images: [] };
  const namespace = request.namespace ?? pod.namespace ?? 'default';
  const namespaceLabels = options.namespaceLabels ?? { 'kubernetes.io/metadata.name': namespace };
  const now = new Date();

  type Mutable = {
    image: string;
    ref: ImageRef;
    digest: boolean;
    config: boolean;
    scan: boolean;
    signatures: RequireSignatureRule[];
  };
  const byImage = new Map<string, Mutable>();
  for (const site of pod.images) {
    const ref = tryParseImageRef(site.image);
    if (ref === undefined) continue;
    let needs = byImage.get(site.image);
    if (needs === undefined) {
      needs = { image: site.image, ref, digest: false, config: false, scan: false, signatures: [] };
      byImage.set(site.image, needs);
    }
    if (options.pin === true && ref.digest === undefined) needs.digest = true;
    for (const rule of policy.rules ?? []) {
      if (!ruleApplies(rule, namespace, namespaceLabels, pod, site.image)) continue;
      const waived = (policy.exemptions ?? []).some(
        (e) => exemptionMatches(e, rule.name, namespace, site.image) && !hasExpired(e.expires, now),
      );
      if (waived) continue;
      switch (rule.kind) {
        case 'requireSignature':
          if (!needs.signatures.includes(rule)) needs.signatures.push(rule);
          needs.digest = true;
          break;
        case 'vulnerabilities':
          needs.scan = true;
          needs.digest = true;
          break;
        case 'requireNonRoot':
          if (
            site.runAs !== undefined &&
            site.runAs.runAsUser === undefined &&
            site.runAs.runAsNonRoot !== true
          ) {
            needs.config = true;
            needs.digest = true;
          }
          break;
        case 'allowedRegistries':
        case 'disallowTags':
        case 'requireDigest':
        case 'requirePullSecretsFor':
          break;
      }
    }
  }
  return { images: [...byImage.values()].filter((n) => n.digest || n.config || n.scan) };
}

/**
 * Gathers the facts a plan asks for. Implementations live at the edge (registry, signature
 * verifier, scanner); the decision stays pure.
 */
export interface FactSource {
  /**
   * Looks up everything in `plan`. A lookup that fails or is still running when `signal`
   * aborts becomes an `{ error }` fact that says what could not be reached; this never
   * rejects for lookup failures, and it settles promptly once `signal` aborts.
   */
  gather(plan: FactPlan, signal: AbortSignal): Promise<AdmissionFacts>;
}
