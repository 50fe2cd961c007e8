import { digestAlgorithm, digestHex, errorMessage, parseDigest } from '../../core/index.js';
import { encodeGoJson, GoStruct } from '../cosign/gojson.js';
import { AttestationError } from './errors.js';
import { formatRfc3339Seconds } from './gotime.js';
import { jsonToGoJson } from './json.js';
import { COSIGN_CUSTOM_PREDICATE_TYPE, PREDICATE_TYPES, predicateTypeFor } from './predicate-type.js';
import { parseCosignVulnPredicate, vulnPredicateGoJson } from './vuln.js';

/** The statement type `cosign attest` writes into `.att` layers (in-toto-golang StatementInTotoV01). */
export const IN_TOTO_STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
/** The statement type of in-toto v1 (cosign v3 bundles); read, not written, here. */
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/** What a statement is about: the repository (as cosign names it) and the image digest. */
export type StatementSubject = {
  /** `Repository.Name()` in go-containerregistry's spelling, e.g. `index.docker.io/library/alpine`. */
  readonly name: string;
  /** `sha256:<hex>`. */
  readonly digest: string;
};

/**
 * The in-toto v0.1 statement bytes `cosign attest` signs: Go's encoding of in_toto.Statement
 * (`_type`, `predicateType`, `subject`, `predicate`, in that order, no whitespace).
 * `predicate` is a JSON value (objects written with sorted keys, as Go maps are) or what
 * cosignPredicate returned (which keeps cosign's struct field order).
 * @throws CoreError DIGEST_INVALID for a subject digest that is not one.
 */
export function inTotoStatement(
  predicateType: string,
  predicate: unknown,
  subject: StatementSubject,
): Buffer {
  const d = parseDigest(subject.digest);
  const value = new GoStruct([
    ['_type', IN_TOTO_STATEMENT_V01],
    ['predicateType', predicateType],
    [
      'subject',
      [
        new GoStruct([
          ['name', subject.name],
          ['digest', { [digestAlgorithm(d)]: digestHex(d) }],
        ]),
      ],
    ],
    ['predicate', jsonToGoJson(predicate)],
  ]);
  return Buffer.from(encodeGoJson(value), 'utf8');
}

export type CosignPredicateOptions = {
  /** The custom predicate's Timestamp (cosign: now, UTC, seconds). */
  readonly now?: Date | undefined;
};

function parseJsonPredicate(bytes: Uint8Array, type: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch (err) {
    throw new AttestationError(
      'ATTESTATION_PREDICATE_INVALID',
      `the predicate for type ${type} must be JSON: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

/**
 * The predicate `cosign attest --type TYPE --predicate FILE` puts into its statement
 * (`pkg/cosign/attestation`: GenerateStatement): `custom` wraps the file's text as
 * `{"Data", "Timestamp"}`; `spdx` embeds the text as a string; `vuln` reads the file into the
 * vuln predicate's fields (the vuln URI itself is taken as generic JSON, as cosign does); every other type (spdxjson, cyclonedx, slsaprovenance, a URI)
 * embeds the file's JSON.
 * @throws AttestationError ATTESTATION_TYPE_INVALID, ATTESTATION_PREDICATE_INVALID (not JSON
 *   where JSON is needed, or not a vuln predicate).
 */
export function cosignPredicate(
  type: string,
  file: Uint8Array,
  opts: CosignPredicateOptions = {},
): { readonly predicateType: string; readonly predicate: unknown } {
  const predicateType = predicateTypeFor(type);
  const text = (): string => Buffer.from(file.buffer, file.byteOffset, file.length).toString('utf8');
  if (predicateType === COSIGN_CUSTOM_PREDICATE_TYPE) {
    return {
      predicateType,
      predicate: new GoStruct([
        ['Data', text()],
        ['Timestamp', formatRfc3339Seconds(opts.now ?? new Date())],
      ]),
    };
  }
  if (type === 'spdx') return { predicateType, predicate: text() };
  // By name only: cosign reads the file into its vuln struct for `--type vuln`, while the URI
  // given verbatim takes its generic path (any JSON object).
  if (type === 'vuln') {
    return {
      predicateType,
      predicate: vulnPredicateGoJson(parseCosignVulnPredicate(parseJsonPredicate(file, type))),
    };
  }
  const json = parseJsonPredicate(file, type);
  // cosign unmarshals URI-typed predicates into a map: they must be JSON objects.
  if (!Object.hasOwn(PREDICATE_TYPES, type) && (typeof json !== 'object' || !json || Array.isArray(json))) {
    throw new AttestationError(
      'ATTESTATION_PREDICATE_INVALID',
      `the predicate for type ${type} must be a JSON object`,
    );
  }
  return { predicateType, predicate: json };
}
