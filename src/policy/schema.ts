import { z } from 'zod';
import { tryParseRepositoryPrefix } from '../imageref/index.js';
import { serverSectionSchema } from './server.js';

/**
 * The policy file's schema (`portcullis.yaml`). One file drives `lint` (rule selection,
 * trusted and minimal bases) and, later, admission and the scan gate (the `rules` list), so
 * a registry list is written once under `registries` and reused by both.
 *
 * Every object is strict: an unknown key is an error that names it, because a misspelled key
 * in a security policy silently doing nothing is worse than a failed load.
 */

/** The apiVersion this schema reads; a new incompatible shape gets a new version. */
export const POLICY_API_VERSION = 'portcullis.dev/v1alpha1';
export const POLICY_KIND = 'Policy';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rule ids across checkers: `PC-DF-004` (Dockerfile), later `PC-IMG-…`, `PC-K8S-…`. */
export const RULE_ID_RE = /^PC-[A-Z0-9]+-\d{3}$/;

// Caps keep a hostile or generated file from making validation itself expensive.
const MAX_LIST = 1000;
const MAX_STRING = 1024;

// Shared pieces carry an id so the published JSON Schema defines them once under $defs.
const severitySchema = z
  .enum(SEVERITIES, { error: `expected a severity: ${SEVERITIES.join(', ')}` })
  .meta({ id: 'Severity' });

const text = z.string().trim().min(1, 'must not be empty').max(MAX_STRING);

const prefixSchema = z
  .string()
  .max(MAX_STRING)
  .superRefine((value, ctx) => {
    if (tryParseRepositoryPrefix(value) === undefined) {
      ctx.addIssue({
        code: 'custom',
        message:
          `"${value.slice(0, 120)}" is not a registry or repository prefix ` +
          '(for example ghcr.io/acme, my-registry.io/, localhost:5000, docker.io/library/nginx; no tags, digests or wildcards)',
      });
    }
  })
  .meta({
    id: 'RepositoryPrefix',
    description:
      'A registry or repository prefix, matched on path boundaries after normalization: ghcr.io/acme admits ghcr.io/acme/app, never ghcr.io/acmecorp/app.',
  });

// Image globs are only shape-checked here; admission defines how they match.
const imageGlobSchema = z
  .string()
  .min(1)
  .max(MAX_STRING)
  .regex(/^[A-Za-z0-9._\-/:@*?[\]]+$/, 'expected an image glob such as ghcr.io/acme/* (no spaces)')
  .meta({
    id: 'ImageGlob',
    description: 'An image glob: * matches within a path component, ** across components.',
  });

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(s: string): boolean {
  if (!DATE_RE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}

const dateSchema = z
  .string()
  .refine(isCalendarDate, 'expected a date YYYY-MM-DD')
  .meta({ id: 'Date', description: 'A calendar date YYYY-MM-DD (UTC); the entry applies through that day.' });

// Kubernetes names: namespaces are DNS labels (RFC 1123), at most 63 characters.
const namespaceSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'expected a Kubernetes namespace name (RFC 1123 label)')
  .meta({ id: 'Namespace' });

const ruleNameSchema = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'expected a rule name of lower-case letters, digits and dashes (at most 63)',
  );

const lintRuleSettingSchema = z.union(
  [
    z.literal('off'),
    severitySchema,
    z.strictObject({
      enabled: z.boolean().optional(),
      severity: severitySchema.optional(),
    }),
  ],
  { error: `expected "off", a severity (${SEVERITIES.join(', ')}) or { enabled?, severity? }` },
);

export const lintSectionSchema = z
  .strictObject({
    rules: z
      .record(z.string().regex(RULE_ID_RE, 'expected a rule id such as PC-DF-004'), lintRuleSettingSchema)
      .optional()
      .describe('Per-rule settings: "off", a severity that replaces the default, or { enabled, severity }.'),
    minimalBases: z
      .array(prefixSchema)
      .max(MAX_LIST)
      .optional()
      .describe(
        'Extra repository prefixes PC-DF-004 treats as minimal bases (the built-in list still applies).',
      ),
    failOn: severitySchema
      .optional()
      .describe('Lowest severity that makes lint exit non-zero; the --fail-on flag wins over it.'),
  })
  .describe('Settings for `portcullis lint`.');

// Globs on Kubernetes names: `*` any run of characters, `?` one; no spaces.
const nameGlobSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.\-_:*?]+$/, 'expected a name or glob such as web-* (letters, digits, . - _ : * ?)')
  .meta({
    id: 'NameGlob',
    description: 'A Kubernetes kind, namespace or name, or a glob: * any run of characters, ? one.',
  });

const auditIgnoreSchema = z
  .strictObject({
    rule: z
      .string()
      .regex(RULE_ID_RE, 'expected a rule id such as PC-K8S-012')
      .describe('The rule whose findings this entry suppresses.'),
    kind: nameGlobSchema.optional().describe('Kind of the object (Deployment, Secret); omitted: any.'),
    namespace: nameGlobSchema
      .optional()
      .describe(
        'Namespace of the object; omitted: any. Cluster-scoped objects and ones naming none match only * or an omitted namespace.',
      ),
    name: nameGlobSchema.optional().describe('Name of the object; omitted: any.'),
    reason: text.describe('Why the finding is accepted; shown with the suppressed finding.'),
    expires: dateSchema
      .optional()
      .describe('Last day the entry applies; afterwards the findings come back and audit says so.'),
  })
  .describe("A suppression of one rule's findings on the objects it matches.");

export const auditSectionSchema = z
  .strictObject({
    rules: z
      .record(z.string().regex(RULE_ID_RE, 'expected a rule id such as PC-K8S-012'), lintRuleSettingSchema)
      .optional()
      .describe('Per-rule settings: "off", a severity that replaces the default, or { enabled, severity }.'),
    failOn: severitySchema
      .optional()
      .describe('Lowest severity that makes audit exit non-zero; the --fail-on flag wins over it.'),
    ignore: z
      .array(auditIgnoreSchema)
      .max(MAX_LIST)
      .optional()
      .describe('Accepted findings: a rule on the objects matching kind, namespace and name, with a reason.'),
  })
  .describe('Settings for `portcullis audit` (Kubernetes manifests).');

export const registriesSectionSchema = z
  .strictObject({
    trusted: z
      .array(prefixSchema)
      .max(MAX_LIST)
      .describe(
        'Trusted registry or repository prefixes: base images for lint (PC-DF-003), and the default list of allowedRegistries rules.',
      ),
  })
  .describe('Registry lists shared by lint and admission.');

const selectorRequirementSchema = z
  .strictObject({
    key: text,
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
    values: z.array(z.string().max(MAX_STRING)).max(MAX_LIST).optional(),
  })
  .superRefine((r, ctx) => {
    // metav1.LabelSelectorRequirement: In/NotIn need values, Exists/DoesNotExist take none.
    const needsValues = r.operator === 'In' || r.operator === 'NotIn';
    if (needsValues && (r.values === undefined || r.values.length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `operator ${r.operator} needs values` });
    } else if (!needsValues && r.values !== undefined && r.values.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `operator ${r.operator} takes no values` });
    }
  });

const labelSelectorSchema = z
  .strictObject({
    matchLabels: z.record(z.string().max(MAX_STRING), z.string().max(MAX_STRING)).optional(),
    matchExpressions: z.array(selectorRequirementSchema).max(MAX_LIST).optional(),
  })
  .meta({
    id: 'LabelSelector',
    description: 'A Kubernetes label selector (matchLabels and matchExpressions, ANDed).',
  });

const matchSchema = z
  .strictObject({
    namespaces: z.array(namespaceSchema).max(MAX_LIST).optional(),
    excludeNamespaces: z.array(namespaceSchema).max(MAX_LIST).optional(),
    namespaceSelector: labelSelectorSchema.optional(),
    objectSelector: labelSelectorSchema.optional(),
    images: z.array(imageGlobSchema).max(MAX_LIST).optional(),
  })
  .meta({
    id: 'Match',
    description: 'Where a rule applies; every given condition must hold. Omitted: everywhere.',
  });

const ruleCommon = {
  name: ruleNameSchema.describe('Unique name, used by exemptions and in explanations.'),
  mode: z
    .enum(['enforce', 'warn', 'audit'])
    .default('enforce')
    .describe('enforce denies, warn admits with a warning, audit only records.'),
  match: matchSchema.optional(),
  onError: z
    .enum(['deny', 'allow'])
    .default('deny')
    .describe('What to decide when a fact (digest, signature, scan) cannot be gathered; allow always warns.'),
  description: text.optional(),
};

const keySchema = z
  .strictObject({
    name: text.optional(),
    pem: z
      .string()
      .max(16 * 1024)
      .regex(/-----BEGIN PUBLIC KEY-----/, 'expected a PEM public key (-----BEGIN PUBLIC KEY-----)'),
  })
  .describe('A public key that may sign the image.');

const keylessSchema = z
  .strictObject({
    issuer: text.describe('OIDC issuer, e.g. https://token.actions.githubusercontent.com'),
    subject: text.optional(),
    subjectRegExp: text.optional(),
  })
  .superRefine((k, ctx) => {
    if ((k.subject === undefined) === (k.subjectRegExp === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of subject and subjectRegExp' });
    }
    if (k.subjectRegExp !== undefined) {
      try {
        new RegExp(k.subjectRegExp, 'u');
      } catch {
        ctx.addIssue({ code: 'custom', path: ['subjectRegExp'], message: 'not a valid regular expression' });
      }
    }
  })
  .describe('A keyless (Fulcio certificate) identity.');

const vulnIgnoreSchema = z.strictObject({
  id: text.describe('Advisory id or alias (CVE-…, GHSA-…).'),
  reason: text,
  expires: dateSchema.optional(),
});

const admissionRuleSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      ...ruleCommon,
      kind: z.literal('allowedRegistries'),
      registries: z
        .array(prefixSchema)
        .max(MAX_LIST)
        .optional()
        .describe('Prefixes images must come from; omitted: registries.trusted.'),
    }),
    z.strictObject({
      ...ruleCommon,
      kind: z.literal('disallowTags'),
      tags: z
        .array(z.string().regex(/^[\w][\w.-]{0,127}$/, 'expected a tag'))
        .max(MAX_LIST)
        .default(['latest'])
        .describe('Tags refused; an untagged reference counts as latest.'),
    }),
    z.strictObject({ ...ruleCommon, kind: z.literal('requireDigest') }),
    z
      .strictObject({
        ...ruleCommon,
        kind: z.literal('requireSignature'),
        keys: z.array(keySchema).max(100).optional(),
        keyless: z.array(keylessSchema).max(100).optional(),
        attestations: z
          .array(text)
          .max(100)
          .optional()
          .describe('Predicate types that must also be attested, e.g. https://slsa.dev/provenance/v1.'),
      })
      .superRefine((r, ctx) => {
        if ((r.keys?.length ?? 0) + (r.keyless?.length ?? 0) === 0) {
          ctx.addIssue({
            code: 'custom',
            message: 'requireSignature needs at least one of keys and keyless',
          });
        }
      }),
    z.strictObject({
      ...ruleCommon,
      kind: z.literal('vulnerabilities'),
      failOn: severitySchema.describe('Lowest severity that violates the rule.'),
      ignoreUnfixed: z.boolean().default(false),
      ignore: z.array(vulnIgnoreSchema).max(10_000).optional(),
    }),
    z.strictObject({
      ...ruleCommon,
      kind: z.literal('requirePullSecretsFor'),
      registries: z
        .array(prefixSchema)
        .min(1, 'name at least one registry or repository prefix')
        .max(MAX_LIST),
    }),
    z.strictObject({ ...ruleCommon, kind: z.literal('requireNonRoot') }),
  ],
  {
    error:
      'expected kind: allowedRegistries, disallowTags, requireDigest, requireSignature, vulnerabilities, requirePullSecretsFor or requireNonRoot',
  },
);

const exemptionSchema = z
  .strictObject({
    namespaces: z.array(namespaceSchema).max(MAX_LIST).optional(),
    images: z.array(imageGlobSchema).max(MAX_LIST).optional(),
    rules: z.array(ruleNameSchema).max(MAX_LIST).optional().describe('Rule names; omitted: every rule.'),
    reason: text,
    expires: dateSchema.optional(),
  })
  .superRefine((e, ctx) => {
    if ((e.namespaces?.length ?? 0) + (e.images?.length ?? 0) === 0) {
      ctx.addIssue({ code: 'custom', message: 'an exemption names namespaces, images or both' });
    }
  });

export const policySchema = z
  .strictObject({
    apiVersion: z.literal(POLICY_API_VERSION, { error: `expected apiVersion: ${POLICY_API_VERSION}` }),
    kind: z.literal(POLICY_KIND, { error: `expected kind: ${POLICY_KIND}` }),
    metadata: z
      .strictObject({
        name: text.optional(),
        description: z
          .string()
          .max(16 * 1024)
          .optional(),
      })
      .optional(),
    registries: registriesSectionSchema.optional(),
    lint: lintSectionSchema.optional(),
    audit: auditSectionSchema.optional(),
    rules: z
      .array(admissionRuleSchema)
      .max(MAX_LIST)
      .optional()
      .describe('Admission rules: each a kind, where it applies (match) and what a violation does (mode).'),
    exemptions: z.array(exemptionSchema).max(MAX_LIST).optional(),
    server: serverSectionSchema.optional(),
  })
  .superRefine((p, ctx) => {
    const names = new Map<string, number>();
    (p.rules ?? []).forEach((r, i) => {
      if (names.has(r.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'name'],
          message: `duplicate rule name "${r.name}"`,
        });
      }
      names.set(r.name, i);
      if (r.kind === 'allowedRegistries' && r.registries === undefined && p.registries === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i],
          message: 'allowedRegistries without registries needs registries.trusted',
        });
      }
    });
    (p.server?.projects ?? []).forEach((proj, i) => {
      (proj.pull?.rules ?? []).forEach((name, j) => {
        const at = names.get(name);
        const kind = at === undefined ? undefined : p.rules?.[at]?.kind;
        if (kind !== 'vulnerabilities' && kind !== 'requireSignature') {
          ctx.addIssue({
            code: 'custom',
            path: ['server', 'projects', i, 'pull', 'rules', j],
            message:
              kind === undefined
                ? `no rule is named "${name}"`
                : `rule "${name}" is a ${kind} rule; pull gates take vulnerabilities and requireSignature rules`,
          });
        }
      });
    });
    (p.exemptions ?? []).forEach((e, i) => {
      (e.rules ?? []).forEach((name, j) => {
        if (!names.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['exemptions', i, 'rules', j],
            message: `no rule is named "${name}"`,
          });
        }
      });
    });
  })
  .describe('Portcullis policy (portcullis.yaml).');

/** A validated policy file. */
export type Policy = z.output<typeof policySchema>;
export type LintSection = z.output<typeof lintSectionSchema>;
export type AuditSection = z.output<typeof auditSectionSchema>;
export type AuditIgnore = z.output<typeof auditIgnoreSchema>;
export type AdmissionRule = z.output<typeof admissionRuleSchema>;
export type AdmissionRuleKind = AdmissionRule['kind'];
export type Exemption = z.output<typeof exemptionSchema>;
export type LintRuleSetting = z.output<typeof lintRuleSettingSchema>;
