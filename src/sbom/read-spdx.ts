// Reads SPDX JSON (2.2, 2.3) into the inventory model; see read.ts for the entry point.
import { truncateForMessage, type Digest } from '../core/index.js';
import { SbomError } from './errors.js';
import { isNoAssertion, splitConjunction } from './license.js';
import { PROP, PROPERTY_PREFIX } from './properties.js';
import {
  spdxAnnotationSchema,
  spdxChecksumSchema,
  spdxDocumentSchema,
  spdxExternalRefSchema,
  spdxExtractedLicenseSchema,
  spdxPackageSchema,
  spdxRelationshipSchema,
} from './schema.js';
import type { ReadSbomResult, SbomSubject } from './types.js';

import { Collector, digestFrom, issueText, invalid, isObject } from './read-common.js';

function spdxPurl(refs: readonly unknown[] | undefined): string | undefined {
  for (const item of refs ?? []) {
    const r = spdxExternalRefSchema.safeParse(item);
    // Clause F.3: category PACKAGE-MANAGER (2.2 JSON also wrote PACKAGE_MANAGER), type purl.
    if (
      r.success &&
      r.data.referenceType === 'purl' &&
      /^PACKAGE[-_]MANAGER$/.test(r.data.referenceCategory)
    ) {
      return r.data.referenceLocator;
    }
  }
  return undefined;
}

/** Our annotations: a JSON object of `portcullis:` properties in the comment. */
function spdxProps(raw: readonly unknown[] | undefined): Map<string, string> {
  const props = new Map<string, string>();
  for (const item of raw ?? []) {
    const r = spdxAnnotationSchema.safeParse(item);
    if (!r.success || !r.data.comment.startsWith('{')) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(r.data.comment);
    } catch {
      continue;
    }
    if (!isObject(obj)) continue;
    for (const [k, v] of Object.entries(obj)) {
      if (k.startsWith(PROPERTY_PREFIX) && typeof v === 'string' && !props.has(k)) props.set(k, v);
    }
  }
  return props;
}

function spdxLicenses(
  declared: string | undefined,
  concluded: string | undefined,
  refs: ReadonlyMap<string, string>,
): string[] {
  const expr = declared !== undefined && !isNoAssertion(declared) ? declared : concluded;
  if (expr === undefined || isNoAssertion(expr)) return [];
  return [...new Set(splitConjunction(expr).map((part) => refs.get(part) ?? part))];
}

export function readSpdx(doc: unknown, origin: string, maxPackages: number): ReadSbomResult {
  const parsed = spdxDocumentSchema.safeParse(doc);
  if (!parsed.success) throw invalid(origin, 'SPDX', parsed.error.issues);
  const d = parsed.data;
  const specVersion = d.spdxVersion.replace(/^SPDX-/, '');
  if (specVersion !== '2.2' && specVersion !== '2.3') {
    throw new SbomError(
      'SBOM_VERSION_UNSUPPORTED',
      `${origin}: ${truncateForMessage(d.spdxVersion, 16)} JSON is not supported (supported: SPDX-2.2, SPDX-2.3)`,
    );
  }
  const rawPackages = d.packages ?? [];
  if (rawPackages.length > maxPackages) {
    throw new SbomError('SBOM_TOO_MANY_PACKAGES', `${origin}: more than ${maxPackages} packages`);
  }
  // LicenseRef ids → the license names they stand for (clause 10).
  const refs = new Map<string, string>();
  for (const item of d.hasExtractedLicensingInfos ?? []) {
    const r = spdxExtractedLicenseSchema.safeParse(item);
    if (!r.success) continue;
    const text =
      r.data.name ??
      (r.data.extractedText !== undefined && r.data.extractedText.length <= 200
        ? r.data.extractedText
        : undefined);
    if (text !== undefined && text !== '' && !isNoAssertion(text)) refs.set(r.data.licenseId, text);
  }
  // What the document describes (clause 11: DESCRIBES from SPDXRef-DOCUMENT, or DESCRIBED_BY to it).
  const described = new Set(d.documentDescribes ?? []);
  for (const item of d.relationships ?? []) {
    const r = spdxRelationshipSchema.safeParse(item);
    if (!r.success) continue;
    const rel = r.data;
    if (rel.relationshipType === 'DESCRIBES' && rel.spdxElementId === 'SPDXRef-DOCUMENT')
      described.add(rel.relatedSpdxElement);
    if (rel.relationshipType === 'DESCRIBED_BY' && rel.relatedSpdxElement === 'SPDXRef-DOCUMENT')
      described.add(rel.spdxElementId);
  }
  const subjectId = described.size === 1 ? [...described][0] : undefined;

  const out = new Collector(origin);
  let subject: SbomSubject | undefined;
  rawPackages.forEach((raw, i) => {
    const r = spdxPackageSchema.safeParse(raw);
    if (!r.success) {
      out.gap(`packages[${i}] is not a valid package: ${issueText(r.error.issues)}`);
      return;
    }
    const p = r.data;
    const purl = spdxPurl(p.externalRefs);
    if (p.SPDXID === subjectId) {
      let digest: Digest | undefined;
      for (const c of p.checksums ?? []) {
        const cs = spdxChecksumSchema.safeParse(c);
        if (cs.success) digest ??= digestFrom(cs.data.algorithm, cs.data.checksumValue);
      }
      subject = {
        name: p.name ?? d.name ?? p.SPDXID,
        version: p.versionInfo,
        purl,
        digest,
        kind: p.primaryPackagePurpose?.toLowerCase(),
      };
      return;
    }
    const props = spdxProps(p.annotations);
    // Trivy's SPDX 2.2 has no primaryPackagePurpose and marks the OS by its SPDXID.
    if (
      p.primaryPackagePurpose === 'OPERATING_SYSTEM' ||
      (purl === undefined && p.SPDXID.startsWith('SPDXRef-OperatingSystem'))
    ) {
      if (p.name !== undefined && p.name !== '') {
        out.setOs({
          family: p.name.toLowerCase(),
          version: p.versionInfo,
          codename: props.get(PROP.osCodename),
          prettyName: p.description,
          source: props.get(PROP.osSource) ?? origin,
          distroless: props.get(PROP.osDistroless) === 'true',
        });
      }
      return;
    }
    out.add({
      label: p.name === undefined || p.name === '' ? p.SPDXID : p.name,
      name: p.name,
      version: p.versionInfo,
      purl,
      licenses: spdxLicenses(p.licenseDeclared, p.licenseConcluded, refs),
      props,
    });
  });
  const { inventory, otherPackages } = out.finish();
  return { format: 'spdx', specVersion, subject, inventory, otherPackages };
}
