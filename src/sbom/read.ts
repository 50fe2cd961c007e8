import { errorMessage, tryParseDigest, truncateForMessage, type Digest } from '../core/index.js';
import {
  normalizePythonName,
  type Inventory,
  type InventoryGap,
  type OsInfo,
  type Package,
  type PackageLocation,
  type PackageType,
} from '../inventory/index.js';
import { SbomError } from './errors.js';
import { isNoAssertion, splitConjunction } from './license.js';
import { PROP, PROPERTY_PREFIX } from './properties.js';
import { tryParsePurl } from './purl.js';
import {
  cdxComponentSchema,
  cdxDocumentSchema,
  cdxHashSchema,
  cdxLicenseChoiceSchema,
  cdxPropertySchema,
  dsseEnvelopeSchema,
  inTotoStatementSchema,
  spdxAnnotationSchema,
  spdxChecksumSchema,
  spdxDocumentSchema,
  spdxExternalRefSchema,
  spdxExtractedLicenseSchema,
  spdxPackageSchema,
  spdxRelationshipSchema,
  type CdxComponent,
} from './schema.js';
import type { ForeignPackage, ReadSbomOptions, ReadSbomResult, SbomSubject } from './types.js';

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_PACKAGES = 200_000;
const ANALYZER = 'sbom';

// Every package type the inventory models; a Record so that a new PackageType fails to compile here.
const PACKAGE_TYPES: Readonly<Record<PackageType, true>> = {
  deb: true,
  apk: true,
  rpm: true,
  npm: true,
  pypi: true,
  golang: true,
  maven: true,
  cargo: true,
  gem: true,
  composer: true,
  nuget: true,
};

function isPackageType(t: string): t is PackageType {
  return Object.hasOwn(PACKAGE_TYPES, t);
}

// Types whose purl namespace is part of the package's name (scope, groupId, module path, vendor).
// For deb, apk and rpm the namespace is the distribution vendor, which the inventory takes from the OS.
const NAMESPACED: ReadonlySet<PackageType> = new Set<PackageType>(['npm', 'maven', 'golang', 'composer']);

/** One component or package of either format, reduced to what the inventory needs. */
type Entry = {
  /** How to name the entry in a gap: bom-ref, SPDXID or name. */
  readonly label: string;
  readonly name: string | undefined;
  readonly version: string | undefined;
  readonly purl: string | undefined;
  readonly licenses: readonly string[];
  readonly props: ReadonlyMap<string, string>;
};

/** Collects what a read produces. */
class Collector {
  readonly packages: Package[] = [];
  readonly other: ForeignPackage[] = [];
  readonly gaps: InventoryGap[] = [];
  readonly warnings: string[] = [];
  private readonly otherTypes = new Map<string, number>();
  os: OsInfo | undefined;

  constructor(readonly origin: string) {}

  gap(reason: string): void {
    this.gaps.push({ analyzer: ANALYZER, path: this.origin, reason });
  }

  setOs(os: OsInfo): void {
    if (this.os === undefined) this.os = os;
    else if (this.os.family !== os.family || this.os.version !== os.version) {
      this.warnings.push(
        `more than one operating system listed (${this.os.family} ${this.os.version ?? ''}, ${os.family} ${os.version ?? ''}): the first is used`,
      );
    }
  }

  add(e: Entry): void {
    const what = `component ${JSON.stringify(truncateForMessage(e.label, 100))}`;
    if (e.purl === undefined || e.purl.trim() === '') {
      this.gap(`${what} has no purl: it cannot be matched to advisories`);
      return;
    }
    const purl = tryParsePurl(e.purl.trim());
    if (purl === undefined) {
      this.gap(`${what} has an invalid purl "${truncateForMessage(e.purl, 100)}"`);
      return;
    }
    if (!isPackageType(purl.type)) {
      this.other.push({
        purlType: purl.type,
        namespace: purl.namespace,
        name: purl.name,
        version: purl.version ?? e.version,
        purl: e.purl.trim(),
        licenses: e.licenses,
      });
      this.otherTypes.set(purl.type, (this.otherTypes.get(purl.type) ?? 0) + 1);
      return;
    }
    const type = purl.type;
    // purl-spec PURL-TYPES rpm: the version is VERSION-RELEASE and the epoch a qualifier; the
    // inventory writes rpm versions whole, `[E:]V-R`.
    const epoch = type === 'rpm' ? purl.qualifiers['epoch'] : undefined;
    const purlVersion =
      purl.version === undefined
        ? undefined
        : epoch !== undefined && epoch !== '0'
          ? `${epoch}:${purl.version}`
          : purl.version;
    const version = purlVersion ?? e.version;
    if (version === undefined || version === '') {
      this.gap(`${what} (${e.purl.trim()}) has no version: it cannot be matched to advisories`);
      return;
    }
    // PyPI purls carry the normalized name (PEP 503); keep the spelling the document gives when it is the same name.
    const name =
      type === 'pypi' &&
      e.name !== undefined &&
      normalizePythonName(e.name) === normalizePythonName(purl.name)
        ? e.name
        : purl.name;
    const namespace = NAMESPACED.has(type) ? purl.namespace : undefined;
    const arch = purl.qualifiers['arch'] ?? e.props.get(PROP.arch);
    const source = sourceOf(e.props, purl.qualifiers);
    const metadata = metadataOf(e.props);
    this.packages.push({
      type,
      ...(namespace === undefined ? {} : { namespace }),
      name,
      version,
      purl: e.purl.trim(),
      ...(arch === undefined ? {} : { arch }),
      ...(source === undefined ? {} : { source }),
      licenses: e.licenses,
      location: locationOf(e.props, this.origin),
      ...(e.props.get(PROP.declaredOnly) === 'true' ? { declaredOnly: true } : {}),
      ...(metadata === undefined ? {} : { metadata }),
    });
  }

  finish(): { inventory: Inventory; otherPackages: ForeignPackage[] } {
    for (const [type, n] of [...this.otherTypes.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      this.warnings.push(
        `${n} component${n === 1 ? '' : 's'} of purl type "${type}" kept as other packages: the inventory does not model that type`,
      );
    }
    return {
      inventory: { os: this.os, packages: this.packages, gaps: this.gaps, warnings: this.warnings },
      otherPackages: this.other,
    };
  }
}

/** Where the package was found: our own properties, else Syft's or Trivy's, else the SBOM itself. */
function locationOf(props: ReadonlyMap<string, string>, origin: string): PackageLocation {
  const syftPath = props.get('syft:location:0:path');
  const path = props.get(PROP.path) ?? (syftPath === undefined ? undefined : syftPath.replace(/^\/+/, ''));
  const index = Number(props.get(PROP.layerIndex) ?? '-1');
  const diffID =
    props.get(PROP.layerDiffID) ??
    props.get('aquasecurity:trivy:LayerDiffID') ??
    props.get('syft:location:0:layerID');
  return {
    path: path ?? origin,
    layerIndex: Number.isSafeInteger(index) && index >= 0 ? index : -1,
    diffID: diffID === undefined ? undefined : tryParseDigest(diffID),
    createdBy: props.get(PROP.createdBy),
  };
}

/** The OS source package: ours, Trivy's `SrcName`/`SrcVersion`, or the purl's `upstream` qualifier. */
function sourceOf(
  props: ReadonlyMap<string, string>,
  qualifiers: Readonly<Record<string, string>>,
): Package['source'] | undefined {
  const ours = props.get(PROP.sourceName);
  if (ours !== undefined) {
    const v = props.get(PROP.sourceVersion);
    return v === undefined ? { name: ours } : { name: ours, version: v };
  }
  const trivy = props.get('aquasecurity:trivy:SrcName');
  if (trivy !== undefined) {
    const v = props.get('aquasecurity:trivy:SrcVersion');
    const r = props.get('aquasecurity:trivy:SrcRelease');
    const e = props.get('aquasecurity:trivy:SrcEpoch');
    if (v === undefined) return { name: trivy };
    const full = `${e !== undefined && e !== '0' ? `${e}:` : ''}${v}${r === undefined ? '' : `-${r}`}`;
    return { name: trivy, version: full };
  }
  const upstream = qualifiers['upstream'];
  if (upstream !== undefined && upstream !== '') {
    const at = upstream.indexOf('@');
    return at > 0 ? { name: upstream.slice(0, at), version: upstream.slice(at + 1) } : { name: upstream };
  }
  return undefined;
}

function metadataOf(props: ReadonlyMap<string, string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of props) {
    if (k.startsWith(PROP.metadataPrefix)) out[k.slice(PROP.metadataPrefix.length)] = v;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** `sha256:hex` from a hash list entry, when it is SHA-256 or SHA-512 of the right length. */
function digestFrom(alg: string, hex: string): Digest | undefined {
  const a = alg.toUpperCase().replace(/-/g, '');
  if (a !== 'SHA256' && a !== 'SHA512') return undefined;
  return tryParseDigest(`${a.toLowerCase()}:${hex.toLowerCase()}`);
}

// --- CycloneDX

function cdxLicenses(raw: readonly unknown[] | undefined, skipped: { n: number }): string[] {
  const out: string[] = [];
  for (const item of raw ?? []) {
    const r = cdxLicenseChoiceSchema.safeParse(item);
    if (!r.success) {
      skipped.n++;
      continue;
    }
    const l = r.data;
    if ('expression' in l) out.push(...splitConjunction(l.expression));
    else if ('id' in l.license) out.push(l.license.id);
    else out.push(l.license.name);
  }
  return [...new Set(out.filter((s) => !isNoAssertion(s)))];
}

function cdxProps(raw: readonly unknown[] | undefined): Map<string, string> {
  const props = new Map<string, string>();
  for (const item of raw ?? []) {
    const r = cdxPropertySchema.safeParse(item);
    // First value wins: Syft repeats names like syft:cpe23.
    if (r.success && r.data.value !== undefined && !props.has(r.data.name))
      props.set(r.data.name, r.data.value);
  }
  return props;
}

function cdxSubject(raw: unknown): SbomSubject | undefined {
  const r = cdxComponentSchema.safeParse(raw);
  if (!r.success) return undefined;
  const c = r.data;
  let digest: Digest | undefined;
  for (const h of c.hashes ?? []) {
    const p = cdxHashSchema.safeParse(h);
    if (p.success) digest ??= digestFrom(p.data.alg, p.data.content);
  }
  digest ??= c.version === undefined ? undefined : tryParseDigest(c.version);
  return {
    name: c.group === undefined ? c.name : `${c.group}/${c.name}`,
    version: c.version,
    purl: c.purl,
    digest,
    kind: c.type.toLowerCase(),
  };
}

function readCycloneDx(doc: unknown, origin: string, maxPackages: number): ReadSbomResult {
  const parsed = cdxDocumentSchema.safeParse(doc);
  if (!parsed.success) throw invalid(origin, 'CycloneDX', parsed.error.issues);
  const bom = parsed.data;
  const specVersion = bom.specVersion;
  // CycloneDX 1.0 and 1.1 were XML only; JSON starts at 1.2. Minor versions only add fields.
  if (!/^1\.[2-7]$/.test(specVersion)) {
    throw new SbomError(
      'SBOM_VERSION_UNSUPPORTED',
      `${origin}: CycloneDX ${truncateForMessage(specVersion, 16)} JSON is not supported (supported: 1.2 to 1.7)`,
    );
  }
  const out = new Collector(origin);
  const skippedLicenses = { n: 0 };
  // Depth-first in document order, with an explicit stack: nesting depth costs no recursion.
  const stack: { raw: unknown; path: string }[] = (bom.components ?? [])
    .map((raw, i) => ({ raw, path: `components[${i}]` }))
    .reverse();
  let count = 0;
  while (stack.length > 0) {
    const { raw, path } = stack.pop() ?? { raw: undefined, path: '' };
    if (++count > maxPackages) {
      throw new SbomError('SBOM_TOO_MANY_PACKAGES', `${origin}: more than ${maxPackages} components`);
    }
    const r = cdxComponentSchema.safeParse(raw);
    if (!r.success) {
      out.gap(`${path} is not a valid component: ${issueText(r.error.issues)}`);
      continue;
    }
    const c: CdxComponent = r.data;
    (c.components ?? []).forEach((_, i, all) => {
      const j = all.length - 1 - i;
      stack.push({ raw: all[j], path: `${path}.components[${j}]` });
    });
    const props = cdxProps(c.properties);
    if (c.type === 'operating-system') {
      out.setOs({
        family: c.name.toLowerCase(),
        version: c.version,
        codename: props.get(PROP.osCodename),
        prettyName: c.description,
        source: props.get(PROP.osSource) ?? origin,
        distroless: props.get(PROP.osDistroless) === 'true',
      });
      continue;
    }
    out.add({
      label: c.name === '' ? (c['bom-ref'] ?? path) : c.name,
      name: c.name,
      version: c.version,
      purl: c.purl,
      licenses: cdxLicenses(c.licenses, skippedLicenses),
      props,
    });
  }
  if (skippedLicenses.n > 0) out.warnings.push(`${skippedLicenses.n} malformed license entries ignored`);
  const { inventory, otherPackages } = out.finish();
  return {
    format: 'cyclonedx',
    specVersion,
    subject: cdxSubject(bom.metadata?.component),
    inventory,
    otherPackages,
  };
}

// --- SPDX

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

function readSpdx(doc: unknown, origin: string, maxPackages: number): ReadSbomResult {
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

// --- detection and entry point

type Issue = { readonly path: readonly PropertyKey[]; readonly message: string };

function issueText(issues: readonly Issue[]): string {
  const first = issues[0];
  if (first === undefined) return 'invalid';
  const where = first.path.map(String).join('.');
  return `${where === '' ? '' : `${where}: `}${first.message}`;
}

function invalid(origin: string, format: string, issues: readonly Issue[]): SbomError {
  return new SbomError('SBOM_INVALID', `${origin}: not a valid ${format} document: ${issueText(issues)}`);
}

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

function isObject(v: unknown): v is Record<string, unknown> {
  // JSON.parse makes plain objects of this realm, so instanceof also rules out null.
  return v instanceof Object && !Array.isArray(v);
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
