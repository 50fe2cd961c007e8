import { errorMessage, truncateForMessage } from '../core/index.js';
import { SbomError } from './errors.js';
import { dsseEnvelopeSchema, inTotoStatementSchema } from './schema.js';
import type { ReadSbomOptions, ReadSbomResult } from './types.js';

import { DEFAULT_MAX_BYTES, DEFAULT_MAX_PACKAGES, isObject } from './read-common.js';
import { readCycloneDx } from './read-cyclonedx.js';
import { readSpdx } from './read-spdx.js';

// --- detection and entry point

function notJson(origin: string, err: unknown): SbomError {
  return new SbomError('SBOM_NOT_JSON', `${origin}: not JSON: ${errorMessage(err)}`, { cause: err });
}

function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw notJson(origin, err);
  }
}

const SBOM_PREDICATES = /^https:\/\/(?:cyclonedx\.org\/bom|spdx\.dev\/Document)/;

/**
 * The SBOM inside an attestation: a DSSE envelope's payload is an in-toto statement whose
 * predicate is the SBOM (cosign's `--type cyclonedx` and `--type spdxjson`). Anything else
 * comes back unchanged.
 */
function unwrapAttestation(json: unknown, origin: string): unknown {
  let value = json;
  const env = dsseEnvelopeSchema.safeParse(value);
  if (env.success && env.data.payloadType === 'application/vnd.in-toto+json') {
    value = parseJson(Buffer.from(env.data.payload, 'base64').toString('utf8'), origin);
  }
  const st = inTotoStatementSchema.safeParse(value);
  if (st.success && st.data._type.startsWith('https://in-toto.io/Statement/')) {
    if (!SBOM_PREDICATES.test(st.data.predicateType)) {
      throw new SbomError(
        'SBOM_FORMAT_UNKNOWN',
        `${origin}: an in-toto statement with predicate type ${truncateForMessage(st.data.predicateType, 100)}, not an SBOM`,
      );
    }
    return st.data.predicate;
  }
  return value;
}

/** JSON, or JSON Lines holding exactly one SBOM attestation (as cosign and Trivy write them). */
function parseDocument(text: string, origin: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (lines.length < 2) throw notJson(origin, err);
    const sboms: unknown[] = [];
    for (const line of lines) {
      let doc: unknown;
      try {
        doc = JSON.parse(line);
      } catch {
        throw notJson(origin, err);
      }
      try {
        sboms.push(unwrapAttestation(doc, origin));
      } catch {
        // A line that is not an SBOM attestation (another predicate type): skipped.
      }
    }
    if (sboms.length !== 1) {
      throw new SbomError(
        'SBOM_FORMAT_UNKNOWN',
        `${origin}: JSON Lines with ${sboms.length} SBOM attestations; expected exactly one`,
      );
    }
    return sboms[0];
  }
  return unwrapAttestation(json, origin);
}

/**
 * Reads a CycloneDX (JSON 1.2–1.7) or SPDX (JSON 2.2, 2.3) document, bare or as an in-toto
 * attestation, into the inventory model: packages from components with purls (SPDX:
 * PACKAGE-MANAGER purl external references), the OS, and the described subject. Components
 * without a usable purl become gaps; purl types the inventory does not model are kept apart
 * with a warning. `origin` names the document in gaps and messages.
 *
 * @throws SbomError SBOM_TOO_LARGE, SBOM_NOT_JSON, SBOM_FORMAT_UNKNOWN, SBOM_VERSION_UNSUPPORTED,
 *   SBOM_INVALID, SBOM_TOO_MANY_PACKAGES.
 */
export function readSbom(bytes: Buffer, origin: string, options: ReadSbomOptions = {}): ReadSbomResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxPackages = options.maxPackages ?? DEFAULT_MAX_PACKAGES;
  if (bytes.length > maxBytes) {
    throw new SbomError(
      'SBOM_TOO_LARGE',
      `${origin}: ${bytes.length} bytes is more than the ${maxBytes} accepted`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (err) {
    throw new SbomError('SBOM_NOT_JSON', `${origin}: not UTF-8 text`, { cause: err });
  }
  const doc = parseDocument(text, origin);
  if (isObject(doc)) {
    if (doc['bomFormat'] === 'CycloneDX') return readCycloneDx(doc, origin, maxPackages);
    if (typeof doc['spdxVersion'] === 'string') return readSpdx(doc, origin, maxPackages);
    const context = doc['@context'];
    if (
      typeof context === 'string' ? context.includes('spdx') : JSON.stringify(context ?? '').includes('spdx')
    ) {
      throw new SbomError(
        'SBOM_VERSION_UNSUPPORTED',
        `${origin}: SPDX 3 (JSON-LD) is not supported (supported: SPDX-2.2, SPDX-2.3)`,
      );
    }
  }
  throw new SbomError(
    'SBOM_FORMAT_UNKNOWN',
    `${origin}: neither CycloneDX JSON (bomFormat "CycloneDX") nor SPDX JSON (spdxVersion)`,
  );
}
