import { truncateForMessage } from '../../core/index.js';
import { AttestationError } from './errors.js';

// cosign's `--type` names and the predicate type URIs they stand for
// (`cmd/cosign/cli/options/predicate.go`: PredicateTypeMap; constants from in-toto-golang and
// `pkg/cosign/attestation/attestation.go`).

/** cosign's default predicate (`--type custom`): `{"Data": <file text>, "Timestamp": <RFC 3339>}`. */
export const COSIGN_CUSTOM_PREDICATE_TYPE = 'https://cosign.sigstore.dev/attestation/v1';
/** cosign's vulnerability-scan predicate (`specs/COSIGN_VULN_ATTESTATION_SPEC.md`). */
export const COSIGN_VULN_PREDICATE_TYPE = 'https://cosign.sigstore.dev/attestation/vuln/v1';
/** SPDX documents (both `spdx` and `spdxjson`). */
export const SPDX_PREDICATE_TYPE = 'https://spdx.dev/Document';
/** CycloneDX BOMs (unversioned, as in-toto-golang's PredicateCycloneDX). */
export const CYCLONEDX_PREDICATE_TYPE = 'https://cyclonedx.org/bom';

/** The predicate type of each `--type` name cosign knows. */
export const PREDICATE_TYPES: Readonly<Record<string, string>> = {
  custom: COSIGN_CUSTOM_PREDICATE_TYPE,
  vuln: COSIGN_VULN_PREDICATE_TYPE,
  spdx: SPDX_PREDICATE_TYPE,
  spdxjson: SPDX_PREDICATE_TYPE,
  cyclonedx: CYCLONEDX_PREDICATE_TYPE,
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  link: 'https://in-toto.io/Link/v1',
  openvex: 'https://openvex.dev/ns',
};

const MAX_TYPE_LENGTH = 2048;

/**
 * The predicate type URI for a `--type` value: one of cosign's names (`cyclonedx`, `spdx`,
 * `spdxjson`, `vuln`, `slsaprovenance`, `custom`, ...), else the value itself when it is an
 * absolute URI (cosign: `url.ParseRequestURI`).
 * @throws AttestationError ATTESTATION_TYPE_INVALID for anything else.
 */
export function predicateTypeFor(type: string): string {
  const known = Object.hasOwn(PREDICATE_TYPES, type) ? PREDICATE_TYPES[type] : undefined;
  if (known !== undefined) return known;
  if (type.length <= MAX_TYPE_LENGTH && /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(type)) {
    try {
      new URL(type);
      return type;
    } catch {
      // falls through to the error below
    }
  }
  throw new AttestationError(
    'ATTESTATION_TYPE_INVALID',
    `invalid predicate type "${truncateForMessage(type, 80)}": expected ${Object.keys(PREDICATE_TYPES).join(', ')} or an absolute URI`,
  );
}
