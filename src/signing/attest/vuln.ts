import { z } from 'zod';
import { GoStruct, type GoJson } from '../cosign/gojson.js';
import { AttestationError } from './errors.js';
import { GO_ZERO_TIME, formatGoTime, normalizeGoTime } from './gotime.js';
import { jsonToGoJson } from './json.js';

// cosign's vulnerability-scan predicate (`specs/COSIGN_VULN_ATTESTATION_SPEC.md`, Go struct
// CosignVulnPredicate in `pkg/cosign/attestation/attestation.go`). Field names, including the
// odd `event_id` and `builder.id`, are the spec's.

/** The cosign vuln predicate, as plain data. Timestamps are RFC 3339 strings. */
export type CosignVulnPredicate = {
  readonly invocation: {
    readonly parameters: unknown;
    readonly uri: string;
    readonly event_id: string;
    readonly 'builder.id': string;
  };
  readonly scanner: {
    readonly uri: string;
    readonly version: string;
    readonly db: { readonly uri: string; readonly version: string };
    /** The scanner's own report, verbatim (for us: the scan JSON). */
    readonly result: unknown;
  };
  readonly metadata: { readonly scanStartedOn: string; readonly scanFinishedOn: string };
};

/** What a scan knows about itself, to describe it in a vuln predicate. */
export type VulnScanFacts = {
  readonly scanner: {
    /** The scanner's identity, a purl or URL (`pkg:npm/portcullis@1.2.3`). */
    readonly uri: string;
    readonly version: string;
    /** The vulnerability database: where it came from and which version/build it is. */
    readonly db?: { readonly uri?: string | undefined; readonly version?: string | undefined } | undefined;
  };
  /** The scan report, embedded as `scanner.result`. */
  readonly result: unknown;
  readonly scanStartedOn: Date;
  readonly scanFinishedOn: Date;
  readonly invocation?:
    | {
        readonly parameters?: unknown;
        readonly uri?: string | undefined;
        readonly eventId?: string | undefined;
        readonly builderId?: string | undefined;
      }
    | undefined;
};

/** Builds the cosign vuln predicate for a scan from plain facts about it. */
export function cosignVulnPredicate(facts: VulnScanFacts): CosignVulnPredicate {
  return {
    invocation: {
      parameters: facts.invocation?.parameters,
      uri: facts.invocation?.uri ?? '',
      event_id: facts.invocation?.eventId ?? '',
      'builder.id': facts.invocation?.builderId ?? '',
    },
    scanner: {
      uri: facts.scanner.uri,
      version: facts.scanner.version,
      db: { uri: facts.scanner.db?.uri ?? '', version: facts.scanner.db?.version ?? '' },
      result: facts.result,
    },
    metadata: {
      scanStartedOn: formatGoTime(facts.scanStartedOn),
      scanFinishedOn: formatGoTime(facts.scanFinishedOn),
    },
  };
}

const goTime = z.string().transform((s, ctx) => {
  const t = normalizeGoTime(s);
  if (t === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected an RFC 3339 timestamp' });
    return z.NEVER;
  }
  return t;
});

// Go's json.Unmarshal into the struct: absent fields stay zero values, unknown ones are dropped,
// a field of the wrong JSON type is an error.
const vulnSchema = z.object({
  invocation: z
    .object({
      parameters: z.unknown().optional(),
      uri: z.string().default(''),
      event_id: z.string().default(''),
      'builder.id': z.string().default(''),
    })
    .default({ uri: '', event_id: '', 'builder.id': '' }),
  scanner: z
    .object({
      uri: z.string().default(''),
      version: z.string().default(''),
      db: z
        .object({ uri: z.string().default(''), version: z.string().default('') })
        .default({ uri: '', version: '' }),
      result: z.unknown().optional(),
    })
    .default({ uri: '', version: '', db: { uri: '', version: '' } }),
  metadata: z
    .object({ scanStartedOn: goTime.default(GO_ZERO_TIME), scanFinishedOn: goTime.default(GO_ZERO_TIME) })
    .default({ scanStartedOn: GO_ZERO_TIME, scanFinishedOn: GO_ZERO_TIME }),
});

/**
 * Reads a vuln predicate as cosign does (`json.Unmarshal` into CosignVulnPredicate): missing
 * fields become empty strings, null and Go's zero time; unknown fields are dropped.
 * @throws AttestationError ATTESTATION_PREDICATE_INVALID for a value of another shape.
 */
export function parseCosignVulnPredicate(json: unknown): CosignVulnPredicate {
  const r = vulnSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new AttestationError(
      'ATTESTATION_PREDICATE_INVALID',
      `not a cosign vuln predicate: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'unexpected shape'}`,
    );
  }
  const v = r.data;
  return {
    invocation: { ...v.invocation, parameters: v.invocation.parameters },
    scanner: { ...v.scanner, result: v.scanner.result },
    metadata: v.metadata,
  };
}

/** The predicate in CosignVulnPredicate's field order, for Go-identical statement bytes. */
export function vulnPredicateGoJson(p: CosignVulnPredicate): GoJson {
  return new GoStruct([
    [
      'invocation',
      new GoStruct([
        ['parameters', jsonToGoJson(p.invocation.parameters)],
        ['uri', p.invocation.uri],
        ['event_id', p.invocation.event_id],
        ['builder.id', p.invocation['builder.id']],
      ]),
    ],
    [
      'scanner',
      new GoStruct([
        ['uri', p.scanner.uri],
        ['version', p.scanner.version],
        [
          'db',
          new GoStruct([
            ['uri', p.scanner.db.uri],
            ['version', p.scanner.db.version],
          ]),
        ],
        ['result', jsonToGoJson(p.scanner.result)],
      ]),
    ],
    [
      'metadata',
      new GoStruct([
        ['scanStartedOn', p.metadata.scanStartedOn],
        ['scanFinishedOn', p.metadata.scanFinishedOn],
      ]),
    ],
  ]);
}
