import { z } from 'zod';

// The parts of CycloneDX and SPDX JSON the reader uses, validated at the boundary. Documents
// come from anywhere, so every string and list has a cap, and nested lists (components,
// licenses, properties, annotations) are taken as unknown here and validated one entry at a
// time: one malformed component becomes a gap instead of failing the whole document, and
// nesting depth is never recursion.

const MAX_NAME = 4096;
const MAX_TEXT = 64 * 1024;
const MAX_LIST = 100_000;

const text = z.string().max(MAX_TEXT);
const name = z.string().max(MAX_NAME);
const list = z.array(z.unknown()).max(MAX_LIST);

// --- CycloneDX (https://cyclonedx.org/docs/1.6/json/; 1.2–1.5 have the same shapes for these fields)

/** The top of a CycloneDX JSON BOM: format, version, subject and components. */
export const cdxDocumentSchema = z.object({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z.string().max(16),
  metadata: z.object({ component: z.unknown().optional() }).optional(),
  components: list.optional(),
});

/** One CycloneDX component; its nested lists are validated entry by entry by the reader. */
export const cdxComponentSchema = z.object({
  type: z.string().max(64),
  'bom-ref': name.optional(),
  name,
  group: name.optional(),
  version: name.optional(),
  purl: z.string().max(MAX_TEXT).optional(),
  description: text.optional(),
  hashes: list.optional(),
  licenses: list.optional(),
  properties: list.optional(),
  components: list.optional(),
});
/** A validated CycloneDX component. */
export type CdxComponent = z.infer<typeof cdxComponentSchema>;

/** One entry of CycloneDX `licenses`: a license by id or name, or an SPDX expression. */
export const cdxLicenseChoiceSchema = z.union([
  z.object({ license: z.object({ id: name }) }),
  z.object({ license: z.object({ name: text }) }),
  z.object({ expression: text }),
]);

/** A CycloneDX property (name/value pair). */
export const cdxPropertySchema = z.object({ name, value: text.optional() });

/** A CycloneDX hash: algorithm and hex content. */
export const cdxHashSchema = z.object({ alg: z.string().max(32), content: z.string().max(256) });

// --- SPDX 2.2 / 2.3 (https://spdx.github.io/spdx-spec/v2.3/)

/** The top of an SPDX JSON document: version, packages, relationships, extracted licenses. */
export const spdxDocumentSchema = z.object({
  spdxVersion: z.string().max(32),
  name: name.optional(),
  documentDescribes: z.array(name).max(MAX_LIST).optional(),
  packages: list.optional(),
  relationships: list.optional(),
  hasExtractedLicensingInfos: list.optional(),
});

/** One SPDX package (clause 7); its nested lists are validated entry by entry by the reader. */
export const spdxPackageSchema = z.object({
  SPDXID: name,
  // Clause 7.1 makes the name mandatory, yet real documents omit it: the reader copes.
  name: name.optional(),
  versionInfo: name.optional(),
  licenseDeclared: text.optional(),
  licenseConcluded: text.optional(),
  description: text.optional(),
  primaryPackagePurpose: z.string().max(64).optional(),
  externalRefs: list.optional(),
  checksums: list.optional(),
  annotations: list.optional(),
});

/** An SPDX package external reference (clause 7.21). */
export const spdxExternalRefSchema = z.object({
  referenceCategory: z.string().max(64),
  referenceType: z.string().max(256),
  referenceLocator: z.string().max(MAX_TEXT),
});

/** An SPDX checksum (clause 7.10). */
export const spdxChecksumSchema = z.object({
  algorithm: z.string().max(32),
  checksumValue: z.string().max(256),
});

/** An SPDX relationship (clause 11). */
export const spdxRelationshipSchema = z.object({
  spdxElementId: name,
  relationshipType: z.string().max(64),
  relatedSpdxElement: name,
});

/** The comment of an SPDX annotation (clause 12), where our properties travel. */
export const spdxAnnotationSchema = z.object({ comment: text });

/** An SPDX extracted licensing info (clause 10): a LicenseRef and the text it stands for. */
export const spdxExtractedLicenseSchema = z.object({
  licenseId: name,
  name: text.optional(),
  extractedText: z.string().optional(),
});

// --- in-toto attestations carrying an SBOM (what `cosign attest --type cyclonedx|spdxjson` makes)

/** DSSE envelope (https://github.com/secure-systems-lab/dsse): the statement is the base64 payload. */
export const dsseEnvelopeSchema = z.object({ payloadType: z.string().max(256), payload: z.string() });

/** in-toto Statement v0.1 / v1: the SBOM is the predicate. */
export const inTotoStatementSchema = z.object({
  _type: z.string().max(256),
  predicateType: z.string().max(1024),
  predicate: z.unknown(),
});
