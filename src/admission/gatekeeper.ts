import { Document, isMap, isSeq, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { PortcullisError, truncateForMessage } from '../core/index.js';
import { tryParseRepositoryPrefix } from '../imageref/index.js';
import { POLICY_API_VERSION, POLICY_KIND, policySchema } from '../policy/index.js';
import type { Policy } from '../policy/index.js';
import { WORKLOAD_KINDS } from './images.js';

/**
 * Converts OPA Gatekeeper image constraints (the gatekeeper-library templates K8sAllowedRepos,
 * K8sAllowedReposv2, K8sDisallowedTags, K8sImageDigests) into Portcullis policy rules, so a
 * cluster can move over without rewriting its policy by hand. Where our semantics differ from
 * the Rego templates (path-boundary prefixes, normalized names, untagged = latest) the rule
 * carries a note that the formatter prints as a YAML comment.
 */

export type GatekeeperImportErrorCode =
  /** The file is not YAML, or a constraint does not have the shape its kind needs. */
  | 'GATEKEEPER_IMPORT_INVALID'
  /** A constraint kind, or a match or parameter field, that has no Portcullis equivalent. */
  | 'GATEKEEPER_IMPORT_UNSUPPORTED';

export class GatekeeperImportError extends PortcullisError<GatekeeperImportErrorCode> {}

/** The constraint kinds the importer converts. */
export const GATEKEEPER_CONSTRAINT_KINDS = [
  'K8sAllowedRepos',
  'K8sAllowedReposv2',
  'K8sDisallowedTags',
  'K8sImageDigests',
] as const;
export type GatekeeperConstraintKind = (typeof GATEKEEPER_CONSTRAINT_KINDS)[number];

type Selector = z.output<typeof selectorSchema>;

/** The rule as written to the policy file: defaults left out so the output stays short. */
export type ImportedRule = {
  name: string;
  kind: 'allowedRegistries' | 'disallowTags' | 'requireDigest';
  mode?: 'warn' | 'audit';
  description: string;
  match?: {
    namespaces?: string[];
    excludeNamespaces?: string[];
    namespaceSelector?: Selector;
    objectSelector?: Selector;
  };
  registries?: string[];
  tags?: string[];
};

export type ImportedExemption = {
  images: string[];
  rules: string[];
  reason: string;
};

/** One converted constraint: a rule, the exemptions that carve images out of it, and notes. */
export type ImportedConstraint = {
  /** `file#index kind/name`, for messages and comments. */
  readonly source: string;
  readonly rule: ImportedRule;
  readonly exemptions: readonly ImportedExemption[];
  /** Where our matching differs from Gatekeeper's; printed as comments above the rule. */
  readonly notes: readonly string[];
};

const selectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

const stringList = z.array(z.string().min(1).max(1024)).max(1000);

const constraintSchema = z.object({
  apiVersion: z
    .string()
    .startsWith('constraints.gatekeeper.sh/', 'expected apiVersion constraints.gatekeeper.sh/…'),
  kind: z.string(),
  metadata: z.object({ name: z.string().min(1) }),
  spec: z
    .object({
      enforcementAction: z.string().optional(),
      match: z
        .object({
          kinds: z
            .array(
              z.object({ apiGroups: z.array(z.string()).optional(), kinds: z.array(z.string()).optional() }),
            )
            .optional(),
          namespaces: z.array(z.string()).optional(),
          excludedNamespaces: z.array(z.string()).optional(),
          labelSelector: selectorSchema.optional(),
          namespaceSelector: selectorSchema.optional(),
          scope: z.string().optional(),
          name: z.string().optional(),
          source: z.string().optional(),
        })
        .optional(),
      parameters: z.record(z.string(), z.unknown()).optional(),
    })
    .default({}),
});

type Constraint = z.output<typeof constraintSchema>;

const NAMESPACE_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// Kinds whose pods (or pod templates) Portcullis judges; Gatekeeper constraints often name only Pod.
const POD_KINDS = new Set<string>(['Pod', ...WORKLOAD_KINDS]);

function unsupported(source: string, what: string): GatekeeperImportError {
  return new GatekeeperImportError('GATEKEEPER_IMPORT_UNSUPPORTED', `${source}: ${what}`);
}

function invalid(source: string, what: string): GatekeeperImportError {
  return new GatekeeperImportError('GATEKEEPER_IMPORT_INVALID', `${source}: ${what}`);
}

function ruleName(constraintName: string): string {
  const cleaned = constraintName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return cleaned === '' ? 'imported' : cleaned;
}

function namespaces(
  source: string,
  field: string,
  list: readonly string[] | undefined,
): string[] | undefined {
  if (list === undefined || list.length === 0) return undefined;
  for (const ns of list) {
    if (!NAMESPACE_RE.test(ns)) {
      // Gatekeeper allows `kube-*` and `*-system`; our policy names namespaces exactly.
      throw unsupported(
        source,
        `match.${field} entry "${truncateForMessage(ns, 80)}" is not a plain namespace name (wildcards are not supported; list the namespaces)`,
      );
    }
  }
  return [...list];
}

function convertMatch(c: Constraint, source: string, notes: string[]): ImportedRule['match'] {
  const m = c.spec.match;
  if (m === undefined) return undefined;
  if (m.name !== undefined) throw unsupported(source, 'match.name (one object by name) has no equivalent');
  if (m.source !== undefined && m.source !== 'All' && m.source !== 'Original') {
    throw unsupported(source, `match.source "${m.source}" has no equivalent`);
  }
  if (m.scope !== undefined && m.scope !== '*' && m.scope !== 'Namespaced') {
    throw unsupported(source, `match.scope "${m.scope}": pods are always namespaced`);
  }
  if (m.kinds !== undefined) {
    const named = m.kinds.flatMap((k) => k.kinds ?? []);
    if (named.length > 0 && !named.includes('*') && !named.some((k) => POD_KINDS.has(k))) {
      throw unsupported(source, `match.kinds ${named.join(', ')} names no Pod or workload kind`);
    }
    const others = named.filter((k) => k !== '*' && !POD_KINDS.has(k));
    notes.push(
      `match.kinds (${named.join(', ') || 'any'}) dropped: Portcullis rules judge Pods and every workload's pod template alike` +
        (others.length > 0 ? `; kinds without pods (${others.join(', ')}) are not judged` : ''),
    );
  }
  const out: NonNullable<ImportedRule['match']> = {};
  const ns = namespaces(source, 'namespaces', m.namespaces);
  if (ns !== undefined) out.namespaces = ns;
  const ex = namespaces(source, 'excludedNamespaces', m.excludedNamespaces);
  if (ex !== undefined) out.excludeNamespaces = ex;
  if (m.namespaceSelector !== undefined) out.namespaceSelector = m.namespaceSelector;
  if (m.labelSelector !== undefined) out.objectSelector = m.labelSelector;
  return Object.keys(out).length > 0 ? out : undefined;
}

function convertMode(c: Constraint, source: string): ImportedRule['mode'] {
  const action = c.spec.enforcementAction ?? 'deny';
  switch (action) {
    case 'deny':
      return undefined;
    case 'warn':
      return 'warn';
    case 'dryrun':
      return 'audit';
    default:
      throw unsupported(source, `enforcementAction "${action}" (expected deny, warn or dryrun)`);
  }
}

function params(c: Constraint, source: string, allowed: readonly string[]): Record<string, unknown> {
  const p = c.spec.parameters ?? {};
  for (const key of Object.keys(p)) {
    if (!allowed.includes(key))
      throw unsupported(source, `parameter "${key}" is not supported for ${c.kind}`);
  }
  return p;
}

function list(p: Record<string, unknown>, key: string, source: string): string[] {
  const value = p[key];
  if (value === undefined) return [];
  const parsed = stringList.safeParse(value);
  if (!parsed.success) throw invalid(source, `parameters.${key} must be a list of strings`);
  return parsed.data;
}

const GLOB_RE = /^[A-Za-z0-9._\-/:@*?[\]]+$/;

/**
 * Gatekeeper's image patterns (exemptImages, allowedImages) are an exact string, or a string
 * prefix when they end in `*`. As our globs: exact stays exact (an untagged name gets `:latest`,
 * which is what it pulls and keeps it from matching every tag); `x/*` covers all of `x/`;
 * `x*` covers names starting with x at any depth; a trailing `*` after a `:` matches tags.
 */
function imagePatternToGlobs(pattern: string, source: string): string[] {
  if (!GLOB_RE.test(pattern)) {
    throw invalid(
      source,
      `image pattern "${truncateForMessage(pattern, 80)}" has characters no image reference has`,
    );
  }
  const starred = pattern.endsWith('*');
  const body = starred ? pattern.slice(0, -1) : pattern;
  if (body.includes('*') || body.includes('?') || body.includes('[')) {
    throw unsupported(
      source,
      `image pattern "${truncateForMessage(pattern, 80)}": only a trailing * is a wildcard in Gatekeeper`,
    );
  }
  if (body === '') return ['**'];
  // A single-component name is a Docker Hub image, and its ":" is a tag ("ubuntu:20.14"), as the
  // runtime reads it. Our glob reads a lone "name:x.y" as a registry, so write the registry out.
  const full = body.includes('/') ? body : `docker.io/library/${body}`;
  const afterSlash = full.slice(full.lastIndexOf('/') + 1);
  const hasTagOrDigest = full.includes('@') || afterSlash.includes(':');
  if (!starred) return [hasTagOrDigest ? full : `${full}:latest`];
  if (hasTagOrDigest) return [`${full}*`];
  if (full.endsWith('/')) return [`${full}**`];
  return [`${full}*`, `${full}*/**`];
}

function exemption(rule: string, images: string[], reason: string): ImportedExemption {
  return { images, rules: [rule], reason };
}

function convertAllowedRepos(
  c: Constraint,
  base: ImportedRule,
  source: string,
  notes: string[],
): ImportedConstraint {
  const p = params(c, source, ['repos']);
  const repos = list(p, 'repos', source);
  if (repos.length === 0)
    throw invalid(source, 'parameters.repos is empty: Gatekeeper would deny every image');
  const registries: string[] = [];
  const globs: string[] = [];
  for (const repo of repos) {
    const prefix = tryParseRepositoryPrefix(repo);
    if (
      prefix !== undefined &&
      !repo.includes(':') &&
      !repo.includes('/') &&
      !repo.includes('.') &&
      repo !== 'localhost'
    ) {
      // A bare Docker Hub name ("acme"): Gatekeeper's string prefix admits both the
      // organisation's images (acme/app) and the official image (acme:1); as a prefix alone it
      // would mean only docker.io/library/acme, so keep both readings.
      registries.push(`${repo}/`, repo);
      notes.push(
        `"${repo}" is kept as the Docker Hub organisation "${repo}/" and the image "${repo}" (docker.io/library/${repo}); ` +
          `Gatekeeper's string prefix also admits "${repo}evil/x" and "${repo}-evil/x", Portcullis does not (stricter)`,
      );
    } else if (prefix !== undefined && !repo.includes(':')) {
      registries.push(repo);
      if (!repo.endsWith('/')) {
        notes.push(
          `"${repo}": Gatekeeper matches a plain string prefix (admitting e.g. "${repo}-evil/x" and "${repo}evil/x"); ` +
            `Portcullis matches on path boundaries, so only "${repo}" and "${repo}/…" are admitted (stricter)`,
        );
      }
    } else if (prefix !== undefined) {
      // "localhost:5000": a registry with a port is a valid prefix; keep it.
      registries.push(repo);
    } else {
      // Not a registry or repository (e.g. "gcr.io/team-"): keep Gatekeeper's string-prefix
      // meaning as an exemption glob rather than silently widening or dropping it.
      const g = imagePatternToGlobs(`${repo}*`, source);
      globs.push(...g);
      notes.push(
        `"${repo}" is not a registry or repository prefix; kept as the image globs ${g.join(', ')} in an exemption`,
      );
    }
  }
  notes.push(
    'images are compared after normalization: "nginx" is docker.io/library/nginx, so a prefix written either way admits both spellings',
  );
  const rule: ImportedRule = { ...base, kind: 'allowedRegistries', registries };
  const exemptions =
    globs.length > 0
      ? [exemption(rule.name, globs, `${source}: repos entries that are not path prefixes`)]
      : [];
  return { source, rule, exemptions, notes };
}

function convertAllowedReposV2(
  c: Constraint,
  base: ImportedRule,
  source: string,
  notes: string[],
): ImportedConstraint {
  const p = params(c, source, ['allowedImages']);
  const images = list(p, 'allowedImages', source);
  if (images.length === 0)
    throw invalid(source, 'parameters.allowedImages is empty: Gatekeeper would deny every image');
  const registries: string[] = [];
  const globs: string[] = [];
  for (const image of images) {
    const dir = image.endsWith('/*') ? image.slice(0, -2) : undefined;
    if (dir !== undefined && !dir.includes('*') && tryParseRepositoryPrefix(dir) !== undefined) {
      // "registry/*" admits everything under registry/ in Gatekeeper too: the "/" is the boundary.
      registries.push(`${dir}/`);
    } else {
      globs.push(...imagePatternToGlobs(image, source));
    }
  }
  const rule: ImportedRule = { ...base, kind: 'allowedRegistries', registries };
  if (globs.length > 0) {
    notes.push(
      `allowedImages that are exact images or non-directory prefixes are exemptions from this rule (${globs.length} globs); ` +
        'an exact untagged image is written with :latest, which is the image it pulls',
    );
  }
  notes.push('images are compared after normalization: "nginx" is docker.io/library/nginx');
  const exemptions =
    globs.length > 0
      ? [exemption(rule.name, globs, `${source}: allowedImages that name images, not registries`)]
      : [];
  return { source, rule, exemptions, notes };
}

function exemptImages(
  p: Record<string, unknown>,
  rule: string,
  source: string,
  notes: string[],
): ImportedExemption[] {
  const patterns = list(p, 'exemptImages', source);
  if (patterns.length === 0) return [];
  const globs = patterns.flatMap((x) => imagePatternToGlobs(x, source));
  notes.push('exemptImages are compared after normalization, and an untagged image counts as :latest');
  return [exemption(rule, globs, `${source}: exemptImages`)];
}

function convertDisallowedTags(
  c: Constraint,
  base: ImportedRule,
  source: string,
  notes: string[],
): ImportedConstraint {
  const p = params(c, source, ['tags', 'exemptImages']);
  const tags = list(p, 'tags', source);
  for (const t of tags) {
    if (!/^[\w][\w.-]{0,127}$/.test(t)) throw invalid(source, `"${truncateForMessage(t, 80)}" is not a tag`);
  }
  // The Rego template denies untagged images whatever `tags` says; ours treats untagged as
  // latest, so keeping that behaviour means listing latest.
  if (!tags.includes('latest')) {
    tags.push('latest');
    notes.push(
      'added "latest": Gatekeeper denies untagged images regardless of tags, and Portcullis treats untagged as latest (so an explicit :latest is now denied too: stricter)',
    );
  }
  notes.push('an image pinned by digest passes whatever its tag: the digest is what runs');
  const rule: ImportedRule = { ...base, kind: 'disallowTags', tags };
  return { source, rule, exemptions: exemptImages(p, rule.name, source, notes), notes };
}

function convertImageDigests(
  c: Constraint,
  base: ImportedRule,
  source: string,
  notes: string[],
): ImportedConstraint {
  const p = params(c, source, ['exemptImages']);
  const rule: ImportedRule = { ...base, kind: 'requireDigest' };
  return { source, rule, exemptions: exemptImages(p, rule.name, source, notes), notes };
}

function convertOne(value: unknown, source: string): ImportedConstraint {
  const parsed = constraintSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : issue.path.join('.');
    throw invalid(source, `not a Gatekeeper constraint (${where}: ${issue?.message ?? 'invalid'})`);
  }
  const c = parsed.data;
  const src = `${source} ${c.kind}/${c.metadata.name}`;
  if (!(GATEKEEPER_CONSTRAINT_KINDS as readonly string[]).includes(c.kind)) {
    throw unsupported(
      src,
      `constraint kind ${c.kind} is not supported (supported: ${GATEKEEPER_CONSTRAINT_KINDS.join(', ')})`,
    );
  }
  const notes: string[] = [];
  const base: ImportedRule = {
    name: ruleName(c.metadata.name),
    kind: 'allowedRegistries',
    description: `Imported from Gatekeeper ${c.kind}/${c.metadata.name}`,
  };
  const mode = convertMode(c, src);
  if (mode !== undefined) base.mode = mode;
  const match = convertMatch(c, src, notes);
  if (match !== undefined) base.match = match;
  switch (c.kind as GatekeeperConstraintKind) {
    case 'K8sAllowedRepos':
      return convertAllowedRepos(c, base, src, notes);
    case 'K8sAllowedReposv2':
      return convertAllowedReposV2(c, base, src, notes);
    case 'K8sDisallowedTags':
      return convertDisallowedTags(c, base, src, notes);
    case 'K8sImageDigests':
      return convertImageDigests(c, base, src, notes);
  }
}

/**
 * Parses one file of Gatekeeper constraints (multi-document YAML; `List` kinds are unwrapped;
 * empty documents skipped) and converts each. Throws GatekeeperImportError naming the file,
 * document and constraint for YAML errors, unsupported kinds or fields, and invalid parameters.
 */
export function importGatekeeperConstraints(yamlText: string, fileName: string): ImportedConstraint[] {
  const docs = parseAllDocuments(yamlText, { prettyErrors: true });
  if (!Array.isArray(docs)) return []; // an empty stream
  const out: ImportedConstraint[] = [];
  docs.forEach((doc, i) => {
    const source = `${fileName}#${i + 1}`;
    const err = doc.errors[0];
    if (err !== undefined) throw invalid(source, `not valid YAML: ${err.message}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    // YAML's empty document is null, a format-defined value.
    if (value === undefined || value === null) return; // eslint-disable-line no-restricted-syntax
    const items =
      typeof value === 'object' &&
      !Array.isArray(value) &&
      (value as Record<string, unknown>)['kind'] === 'List'
        ? (value as Record<string, unknown>)['items']
        : [value];
    if (!Array.isArray(items)) throw invalid(source, 'a List without items');
    items.forEach((item: unknown, j) => {
      out.push(convertOne(item, items.length > 1 || item !== value ? `${source}[${j}]` : source));
    });
  });
  return out;
}

// Two constraints of one name (from two files) become two rules; the second gets a suffix.
function uniqueNames(imported: readonly ImportedConstraint[]): ImportedConstraint[] {
  const used = new Set<string>();
  return imported.map((c) => {
    let name = c.rule.name;
    for (let n = 2; used.has(name); n++) name = `${c.rule.name.slice(0, 58)}-${n}`;
    used.add(name);
    if (name === c.rule.name) return c;
    return {
      ...c,
      rule: { ...c.rule, name },
      exemptions: c.exemptions.map((e) => ({ ...e, rules: [name] })),
    };
  });
}

function policyObject(imported: readonly ImportedConstraint[]): Record<string, unknown> {
  const exemptions = imported.flatMap((c) => c.exemptions);
  return {
    apiVersion: POLICY_API_VERSION,
    kind: POLICY_KIND,
    metadata: {
      name: 'imported-from-gatekeeper',
      description: `Converted from ${imported.length} Gatekeeper constraint(s) by portcullis policy import-gatekeeper`,
    },
    rules: imported.map((c) => c.rule),
    ...(exemptions.length > 0 ? { exemptions } : {}),
  };
}

/** The converted constraints as a validated policy (what loading the formatted YAML gives). */
export function gatekeeperPolicy(imported: readonly ImportedConstraint[]): Policy {
  const parsed = policySchema.safeParse(policyObject(uniqueNames(imported)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(
      'import',
      `the converted policy does not validate (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`,
    );
  }
  return parsed.data;
}

/**
 * Formats converted constraints as a policy file: each rule preceded by a comment naming its
 * source constraint and every way our matching differs from Gatekeeper's. The result loads with
 * parsePolicy; it is validated here first so a conversion bug never prints an unloadable file.
 */
export function formatGatekeeperPolicy(imported: readonly ImportedConstraint[]): string {
  const named = uniqueNames(imported);
  gatekeeperPolicy(named);
  const doc = new Document(policyObject(named));
  doc.commentBefore =
    ' Converted from Gatekeeper constraints by `portcullis policy import-gatekeeper`.\n' +
    ' Review the NOTE comments: they mark where Portcullis matching differs from the Rego templates.';
  const rules = doc.get('rules', true);
  if (isSeq(rules)) {
    rules.items.forEach((node, i) => {
      const c = named[i];
      if (c === undefined || !isMap(node)) return;
      const lines = [` from ${c.source}`, ...c.notes.map((n) => ` NOTE: ${n}`)];
      node.commentBefore = lines.join('\n');
    });
  }
  return doc.toString({ lineWidth: 0 });
}
