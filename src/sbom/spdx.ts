import { digestAlgorithm, digestHex } from '../core/index.js';
import type { OsInfo } from '../inventory/index.js';
import { resolveSerialNumber, resolveTimestamp, type SbomJson } from './cyclonedx.js';
import { SbomError } from './errors.js';
import { canonicalExpression, classifyLicense, licenseRefId } from './license.js';
import { orderPackages, spdxIdPart, type OrderedPackage } from './order.js';
import { imageProperties, osProperties, packageProperties, type Property } from './properties.js';
import { ociPurl } from './purl.js';
import type { ImageSubject, SbomInput } from './types.js';

// SPDX 2.3 JSON, written to the specification (https://spdx.github.io/spdx-spec/v2.3/):
// document creation information (clause 6), one package per image, OS and inventory package
// (clause 7), relationships (clause 11) and extracted licensing info for free-text licenses
// (clause 10). The image is what the document DESCRIBES; it CONTAINS everything else.

const NOASSERTION = 'NOASSERTION';

/** SPDX 2.3 clause 6.8: `YYYY-MM-DDThh:mm:ssZ`, UTC, no fractions. */
function spdxDate(t: Date): string {
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Clause 6.5: a unique absolute URI without `#`. Derived from the serial number's UUID unless
 * given whole; the spec's own examples live under https://spdx.org/spdxdocs/.
 */
function documentNamespace(input: SbomInput, serial: string): string {
  const given = input.documentNamespace;
  if (given === undefined) {
    return `https://spdx.org/spdxdocs/${spdxIdPart(input.image.name)}-${serial.slice('urn:uuid:'.length)}`;
  }
  let ok = !given.includes('#');
  try {
    new URL(given);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new SbomError(
      'SBOM_OPTION_INVALID',
      `invalid SPDX document namespace "${given.slice(0, 120)}": expected an absolute URI without "#"`,
    );
  }
  return given;
}

type Annotation = { annotationDate: string; annotationType: 'OTHER'; annotator: string; comment: string };

function annotations(
  props: readonly Property[],
  date: string,
  annotator: string,
): { annotations?: Annotation[] } {
  if (props.length === 0) return {};
  return {
    annotations: [
      {
        annotationDate: date,
        annotationType: 'OTHER',
        annotator,
        comment: JSON.stringify(Object.fromEntries(props)),
      },
    ],
  };
}

/** Fields every package gets: nothing asserted about download, files, copyright or supplier. */
const UNASSERTED = {
  downloadLocation: NOASSERTION,
  filesAnalyzed: false,
  licenseConcluded: NOASSERTION,
  copyrightText: NOASSERTION,
  supplier: NOASSERTION,
} as const;

function purlRef(purl: string): {
  referenceCategory: string;
  referenceType: string;
  referenceLocator: string;
} {
  // Clause F.3 (external repository identifiers): category PACKAGE-MANAGER, type purl.
  return { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl };
}

/** The SPDXID of the image package. */
function imageSpdxId(image: ImageSubject): string {
  return `SPDXRef-Image-${spdxIdPart(image.name)}`;
}

function osSpdxId(os: OsInfo): string {
  return `SPDXRef-OperatingSystem-${spdxIdPart(os.family)}-${spdxIdPart(os.version ?? 'unknown')}`;
}

/** Free-text licenses collected for `hasExtractedLicensingInfos`, by LicenseRef id. */
type Extracted = Map<string, string>;

/** Clause 7.15: the declared licenses as one expression (AND: all apply); free text becomes a LicenseRef. */
function declaredLicense(licenses: readonly string[], extracted: Extracted): string {
  const parts: string[] = [];
  for (const text of new Set(licenses)) {
    const form = classifyLicense(text);
    if (form === undefined) continue;
    if (form.kind === 'id') parts.push(form.id);
    else if (form.kind === 'expression') parts.push(`(${form.expression})`);
    else {
      const id = licenseRefId(form.name);
      extracted.set(id, form.name);
      parts.push(id);
    }
  }
  if (parts.length === 0) return NOASSERTION;
  return canonicalExpression(parts.join(' AND ')) ?? NOASSERTION;
}

function sourceInfo(o: OrderedPackage): string {
  const { pkg } = o;
  const loc = pkg.location;
  const layer =
    loc.layerIndex >= 0
      ? ` (layer ${loc.layerIndex}${loc.diffID === undefined ? '' : ` ${loc.diffID}`}${loc.createdBy === undefined ? '' : `, created by: ${loc.createdBy}`})`
      : '';
  const parts = [`${pkg.declaredOnly === true ? 'declared in' : 'found in'} ${loc.path}${layer}`];
  if (pkg.declaredOnly === true) parts.push('not installed');
  if (pkg.source !== undefined) {
    parts.push(
      `source package: ${pkg.source.name}${pkg.source.version === undefined ? '' : ` ${pkg.source.version}`}`,
    );
  }
  return parts.join('; ');
}

/**
 * An SPDX 2.3 JSON document for an image: the image package (purpose CONTAINER, manifest digest
 * as checksum, `pkg:oci` purl) is DESCRIBED by the document and CONTAINS the OS package and one
 * package per inventory package, each with its purl as a PACKAGE-MANAGER external reference and
 * its declared licenses (free text as `LicenseRef-`). Sorted, with SPDXIDs derived from purls.
 *
 * @throws SbomError SBOM_OPTION_INVALID for a malformed serial number, document namespace or timestamp.
 */
export function toSpdx(input: SbomInput): SbomJson {
  const serial = resolveSerialNumber(input.serialNumber);
  const created = spdxDate(resolveTimestamp(input.timestamp));
  const creator = `Tool: ${input.tool.name}-${input.tool.version}`;
  const { image, inventory } = input;

  const imageId = imageSpdxId(image);
  const purl = ociPurl(image);
  const imagePackage = {
    SPDXID: imageId,
    name: image.repositoryUrl ?? image.name,
    ...(image.digest !== undefined || image.tag !== undefined
      ? { versionInfo: image.digest ?? image.tag }
      : {}),
    ...UNASSERTED,
    ...(image.digest === undefined
      ? {}
      : {
          checksums: [
            {
              algorithm: digestAlgorithm(image.digest) === 'sha512' ? 'SHA512' : 'SHA256',
              checksumValue: digestHex(image.digest),
            },
          ],
        }),
    licenseDeclared: NOASSERTION,
    ...(purl === undefined ? {} : { externalRefs: [purlRef(purl)] }),
    primaryPackagePurpose: 'CONTAINER',
    ...annotations(imageProperties(image), created, creator),
  };

  const os = inventory.os;
  const osPackage =
    os === undefined
      ? undefined
      : {
          SPDXID: osSpdxId(os),
          name: os.family,
          ...(os.version === undefined ? {} : { versionInfo: os.version }),
          ...UNASSERTED,
          licenseDeclared: NOASSERTION,
          ...(os.prettyName === undefined ? {} : { description: os.prettyName }),
          primaryPackagePurpose: 'OPERATING_SYSTEM',
          ...annotations(osProperties(os), created, creator),
        };

  const extracted: Extracted = new Map();
  const ordered = orderPackages(inventory.packages);
  const packages = ordered.map((o) => ({
    SPDXID: o.spdxId,
    name: o.qualifiedName,
    versionInfo: o.pkg.version,
    ...UNASSERTED,
    licenseDeclared: declaredLicense(o.pkg.licenses, extracted),
    ...(o.purl === undefined ? {} : { externalRefs: [purlRef(o.purl)] }),
    sourceInfo: sourceInfo(o),
    primaryPackagePurpose: 'LIBRARY',
    ...annotations(packageProperties(o.pkg), created, creator),
  }));

  const contains = (
    id: string,
  ): { spdxElementId: string; relationshipType: string; relatedSpdxElement: string } => ({
    spdxElementId: imageId,
    relationshipType: 'CONTAINS',
    relatedSpdxElement: id,
  });
  const relationships = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId },
    ...(osPackage === undefined ? [] : [contains(osPackage.SPDXID)]),
    ...packages.map((p) => contains(p.SPDXID)),
  ];

  const extractedInfos = [...extracted.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([licenseId, text]) => ({
      licenseId,
      name: text,
      extractedText: text,
      comment: 'License as declared by the package; not an SPDX License List identifier.',
    }));

  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: image.reference,
    documentNamespace: documentNamespace(input, serial),
    creationInfo: { created, creators: [creator] },
    packages: [imagePackage, ...(osPackage === undefined ? [] : [osPackage]), ...packages],
    relationships,
    ...(extractedInfos.length === 0 ? {} : { hasExtractedLicensingInfos: extractedInfos }),
  };
}
