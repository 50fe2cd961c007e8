import { tryParseDigest, truncateForMessage, type Digest } from '../core/index.js';
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
import { PROP } from './properties.js';
import { tryParsePurl } from './purl.js';
import type { ForeignPackage } from './types.js';

// Shared by the CycloneDX and SPDX readers: the entry model, the collector and fact helpers.
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_PACKAGES = 200_000;
export const ANALYZER = 'sbom';

// Every package type the inventory models; a Record so that a new PackageType fails to compile here.
export const PACKAGE_TYPES: Readonly<Record<PackageType, true>> = {
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

export function isPackageType(t: string): t is PackageType {
  return Object.hasOwn(PACKAGE_TYPES, t);
}

// Types whose purl namespace is part of the package's name (scope, groupId, module path, vendor).
// For deb, apk and rpm the namespace is the distribution vendor, which the inventory takes from the OS.
export const NAMESPACED: ReadonlySet<PackageType> = new Set<PackageType>([
  'npm',
  'maven',
  'golang',
  'composer',
]);

/** One component or package of either format, reduced to what the inventory needs. */
export type Entry = {
  /** How to name the entry in a gap: bom-ref, SPDXID or name. */
  readonly label: string;
  readonly name: string | undefined;
  readonly version: string | undefined;
  readonly purl: string | undefined;
  readonly licenses: readonly string[];
  readonly props: ReadonlyMap<string, string>;
};

/** Collects what a read produces. */
export class Collector {
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
export function locationOf(props: ReadonlyMap<string, string>, origin: string): PackageLocation {
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
export function sourceOf(
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

export function metadataOf(props: ReadonlyMap<string, string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of props) {
    if (k.startsWith(PROP.metadataPrefix)) out[k.slice(PROP.metadataPrefix.length)] = v;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** `sha256:hex` from a hash list entry, when it is SHA-256 or SHA-512 of the right length. */
export function digestFrom(alg: string, hex: string): Digest | undefined {
  const a = alg.toUpperCase().replace(/-/g, '');
  if (a !== 'SHA256' && a !== 'SHA512') return undefined;
  return tryParseDigest(`${a.toLowerCase()}:${hex.toLowerCase()}`);
}

export type Issue = { readonly path: readonly PropertyKey[]; readonly message: string };

export function issueText(issues: readonly Issue[]): string {
  const first = issues[0];
  if (first === undefined) return 'invalid';
  const where = first.path.map(String).join('.');
  return `${where === '' ? '' : `${where}: `}${first.message}`;
}

export function invalid(origin: string, format: string, issues: readonly Issue[]): SbomError {
  return new SbomError('SBOM_INVALID', `${origin}: not a valid ${format} document: ${issueText(issues)}`);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  // JSON.parse makes plain objects of this realm, so instanceof also rules out null.
  return v instanceof Object && !Array.isArray(v);
}
