import { z } from 'zod';
import { truncateForMessage } from '../core/index.js';
import { VulnDbError } from './errors.js';
import type { OsvRecord } from './osv.js';

// Validation of OSV records from outside (feeds, archives, files), following the OSV schema
// (https://ossf.github.io/osv-schema/, validation/schema.json 1.7). Structure, enums, timestamp
// and CVSS vector shapes are checked as the JSON schema does. Two checks are deliberately left
// out: the list of known ecosystems and the list of id prefixes, because both grow with every
// OSV release and a database that drops advisories of a new ecosystem would fail silently.
// Unknown fields are kept (OSV is extended by adding fields), and JSON `null` where the schema
// allows it (aliases, affected, references, severity) reads as absent.

/** `schema.json` #/$defs/timestamp: RFC 3339 in UTC with a `Z`. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const timestamp = z
  .string()
  .regex(TIMESTAMP, 'expected an RFC 3339 UTC timestamp like 2024-01-31T12:00:00Z')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a real date and time');

/** Empty strings are not ids; the schema demands a prefix, which every real id has. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*-[A-Za-z0-9._:-]+$/;

const CVSS_V2 =
  /^((AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))\/)*(AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))$/;
const CVSS_V3 =
  /^CVSS:3[.][01]\/((AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])\/)*(AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])$/;
const CVSS_V4 =
  /^CVSS:4[.]0\/AV:[NALP]\/AC:[LH]\/AT:[NP]\/PR:[NLH]\/UI:[NPA]\/VC:[HLN]\/VI:[HLN]\/VA:[HLN]\/SC:[HLN]\/SI:[HLN]\/SA:[HLN](\/E:[XAPU])?(\/CR:[XHML])?(\/IR:[XHML])?(\/AR:[XHML])?(\/MAV:[XNALP])?(\/MAC:[XLH])?(\/MAT:[XNP])?(\/MPR:[XNLH])?(\/MUI:[XNPA])?(\/MVC:[XNLH])?(\/MVI:[XNLH])?(\/MVA:[XNLH])?(\/MSC:[XNLH])?(\/MSI:[XNLHS])?(\/MSA:[XNLHS])?(\/S:[XNP])?(\/AU:[XNY])?(\/R:[XAUI])?(\/V:[XDC])?(\/RE:[XLMH])?(\/U:(X|Clear|Green|Amber|Red))?$/;
const UBUNTU_PRIORITY = new Set(['negligible', 'low', 'medium', 'high', 'critical']);

const severityEntry = z
  .looseObject({ type: z.enum(['CVSS_V2', 'CVSS_V3', 'CVSS_V4', 'Ubuntu']), score: z.string() })
  .superRefine((s, ctx) => {
    const ok =
      s.type === 'CVSS_V2'
        ? CVSS_V2.test(s.score)
        : s.type === 'CVSS_V3'
          ? CVSS_V3.test(s.score)
          : s.type === 'CVSS_V4'
            ? CVSS_V4.test(s.score)
            : UBUNTU_PRIORITY.has(s.score);
    if (!ok)
      ctx.addIssue({
        code: 'custom',
        path: ['score'],
        message: `not a valid ${s.type} score: ${s.score.slice(0, 80)}`,
      });
  });

/** Absent, or JSON null where the schema allows it: both read as absent. */
function nullable<T extends z.ZodType>(schema: T) {
  return schema
    .nullish()
    .transform((v) => v ?? undefined)
    .optional();
}

const severity = nullable(z.array(severityEntry));
const jsonObject = z.record(z.string(), z.unknown()).optional();

/** Exactly one of the four event kinds per event (the schema's `oneOf`). */
const EVENT_KEYS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;
const event = z
  .looseObject({
    introduced: z.string().optional(),
    fixed: z.string().optional(),
    last_affected: z.string().optional(),
    limit: z.string().optional(),
  })
  .superRefine((e, ctx) => {
    const present = EVENT_KEYS.filter((k) => e[k] !== undefined);
    if (present.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `an event must have exactly one of ${EVENT_KEYS.join(', ')} (found ${present.length === 0 ? 'none' : present.join(', ')})`,
      });
  });

const GIT_COMMIT = /^(0|[a-f0-9]{40}|[a-f0-9]{64})$/;

const range = z
  .looseObject({
    type: z.enum(['ECOSYSTEM', 'SEMVER', 'GIT']),
    repo: z.string().optional(),
    events: z.array(event).min(1),
    database_specific: jsonObject,
  })
  .superRefine((r, ctx) => {
    if (!r.events.some((e) => e.introduced !== undefined))
      ctx.addIssue({ code: 'custom', path: ['events'], message: 'events must contain an introduced event' });
    if (r.events.some((e) => e.last_affected !== undefined) && r.events.some((e) => e.fixed !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['events'],
        message: 'fixed and last_affected events are mutually exclusive',
      });
    if (r.type === 'GIT') {
      if (r.repo === undefined)
        ctx.addIssue({ code: 'custom', path: ['repo'], message: 'GIT ranges require a repo' });
      r.events.forEach((e, i) => {
        for (const k of EVENT_KEYS) {
          const v = e[k];
          if (v !== undefined && !GIT_COMMIT.test(v))
            ctx.addIssue({
              code: 'custom',
              path: ['events', i, k],
              message: 'GIT ranges must use full-length commit hashes',
            });
        }
      });
    }
  });

const affected = z.looseObject({
  package: z
    .looseObject({ ecosystem: z.string().min(1), name: z.string(), purl: z.string().optional() })
    .optional(),
  severity,
  ranges: z.array(range).optional(),
  versions: z.array(z.string()).optional(),
  ecosystem_specific: jsonObject,
  database_specific: jsonObject,
});

const REFERENCE_TYPES = [
  'ADVISORY',
  'ARTICLE',
  'DETECTION',
  'DISCUSSION',
  'REPORT',
  'FIX',
  'INTRODUCED',
  'GIT',
  'PACKAGE',
  'EVIDENCE',
  'WEB',
] as const;
const CREDIT_TYPES = [
  'FINDER',
  'REPORTER',
  'ANALYST',
  'COORDINATOR',
  'REMEDIATION_DEVELOPER',
  'REMEDIATION_REVIEWER',
  'REMEDIATION_VERIFIER',
  'TOOL',
  'SPONSOR',
  'OTHER',
] as const;

/** One OSV record. Parse with {@link parseOsvRecord} or {@link safeParseOsvRecord}. */
export const osvRecordSchema = z
  .looseObject({
    schema_version: z.string().optional(),
    id: z.string().max(256).regex(ID, 'expected an OSV id like GHSA-xxxx-xxxx-xxxx or PYSEC-2021-1'),
    modified: timestamp,
    published: timestamp.optional(),
    withdrawn: timestamp.optional(),
    aliases: nullable(z.array(z.string())),
    related: z.array(z.string()).optional(),
    upstream: z.array(z.string()).optional(),
    summary: z.string().optional(),
    details: z.string().optional(),
    severity,
    affected: nullable(z.array(affected)),
    references: nullable(z.array(z.looseObject({ type: z.enum(REFERENCE_TYPES), url: z.string().min(1) }))),
    credits: z
      .array(
        z.looseObject({
          name: z.string(),
          contact: z.array(z.string()).optional(),
          type: z.enum(CREDIT_TYPES).optional(),
        }),
      )
      .optional(),
    database_specific: jsonObject,
  })
  .superRefine((r, ctx) => {
    // The schema's top-level allOf: a record-level severity excludes per-package ones.
    if (r.severity !== undefined && r.affected?.some((a) => a.severity !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['severity'],
        message: 'severity is set both on the record and on affected packages',
      });
  });

/** The outcome of validating one record. */
export type OsvParseResult =
  | { readonly ok: true; readonly record: OsvRecord }
  | { readonly ok: false; readonly id: string | undefined; readonly reason: string };

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length === 0 ? '(record)' : i.path.join('.')}: ${i.message}`)
    .join('; ');
}

function idOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || !input || !('id' in input)) return undefined;
  return typeof input.id === 'string' ? input.id.slice(0, 256) : undefined;
}

/**
 * Validates one OSV record (already parsed from JSON or YAML); never throws. On failure the
 * reason names the first few offending fields, and `id` is the record's id when it has one.
 */
export function safeParseOsvRecord(input: unknown): OsvParseResult {
  const r = osvRecordSchema.safeParse(input);
  // zod types absent optional fields as `T | undefined`; the OSV model says `T` or no key.
  // The shapes are otherwise the same, which the cast still checks (it fails on disjoint types).
  if (r.success) return { ok: true, record: r.data as OsvRecord };
  return { ok: false, id: idOf(input), reason: describeIssues(r.error) };
}

/**
 * Validates one OSV record.
 * @throws VulnDbError INPUT_INVALID naming the record (truncated) and the offending fields.
 */
export function parseOsvRecord(input: unknown): OsvRecord {
  const r = safeParseOsvRecord(input);
  if (r.ok) return r.record;
  throw new VulnDbError(
    'INPUT_INVALID',
    `invalid OSV record ${truncateForMessage(r.id ?? '(no id)', 80)}: ${r.reason}`,
  );
}
