import { randomUUID } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { digestAlgorithm, digestHex, type Digest } from '../core/index.js';
import type { OsInfo, Package } from '../inventory/index.js';
import { SbomError } from './errors.js';
import { classifyLicense, canonicalExpression, type LicenseForm } from './license.js';
import { orderPackages, type OrderedPackage } from './order.js';
import { imageProperties, osProperties, packageProperties, type Property } from './properties.js';
import { ociPurl } from './purl.js';
import type { ImageSubject, SbomInput } from './types.js';

// CycloneDX 1.6 JSON (https://cyclonedx.org/docs/1.6/json/), built with the CycloneDX project's
// own library: its models and its 1.6 normalizer decide field names, order and what 1.6 allows,
// so this module only maps our inventory onto components.

/** A JSON document as plain data, ready for JSON.stringify. */
export type SbomJson = { readonly [key: string]: unknown };

// CycloneDX 1.6 schema, `serialNumber`: an RFC 4122 UUID URN.
const SERIAL_RE = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The serial number to use: the given one (checked) or a random UUID URN. */
export function resolveSerialNumber(serialNumber: string | undefined): string {
  if (serialNumber === undefined) return `urn:uuid:${randomUUID()}`;
  if (!SERIAL_RE.test(serialNumber)) {
    throw new SbomError(
      'SBOM_OPTION_INVALID',
      `invalid serial number "${serialNumber.slice(0, 80)}": expected urn:uuid:<lower-case RFC 4122 UUID>`,
    );
  }
  return serialNumber;
}

/** The document time: the given one (checked) or now. */
export function resolveTimestamp(timestamp: Date | undefined): Date {
  const t = timestamp ?? new Date();
  if (Number.isNaN(t.getTime())) throw new SbomError('SBOM_OPTION_INVALID', 'invalid timestamp: not a date');
  return t;
}

function hashOf(digest: Digest): [Enums.HashAlgorithm, string] {
  return [
    digestAlgorithm(digest) === 'sha512' ? Enums.HashAlgorithm['SHA-512'] : Enums.HashAlgorithm['SHA-256'],
    digestHex(digest),
  ];
}

function addProperties(target: Models.PropertyRepository, props: readonly Property[]): void {
  for (const [name, value] of props) target.add(new Models.Property(name, value));
}

/** The image's bom-ref: its purl, or its reference when it has no digest (a rootfs). */
function imageRef(image: ImageSubject): string {
  return ociPurl(image) ?? `image:${image.reference}`;
}

/** The image as the BOM's subject: a `container` component with its manifest digest as hash and purl. */
function imageComponent(image: ImageSubject): Models.Component {
  const purl = ociPurl(image);
  const version = image.digest ?? image.tag;
  const c = new Models.Component(Enums.ComponentType.Container, image.repositoryUrl ?? image.name, {
    bomRef: imageRef(image),
    ...(version === undefined ? {} : { version }),
    ...(purl === undefined ? {} : { purl }),
  });
  if (image.digest !== undefined) c.hashes.set(...hashOf(image.digest));
  addProperties(c.properties, imageProperties(image));
  return c;
}

/** The bom-ref of the operating-system component. */
function osRef(os: OsInfo): string {
  return `os:${os.family}@${os.version ?? 'unknown'}`;
}

function osComponent(os: OsInfo): Models.Component {
  const c = new Models.Component(Enums.ComponentType.OperatingSystem, os.family, {
    bomRef: osRef(os),
    ...(os.version === undefined ? {} : { version: os.version }),
    ...(os.prettyName === undefined ? {} : { description: os.prettyName }),
  });
  addProperties(c.properties, osProperties(os));
  return c;
}

/**
 * CycloneDX 1.6 "licenses" is either a list of licenses (id or name) or exactly one expression.
 * Several declared licenses of which one is a compound expression become one expression joined
 * with AND when all of them are valid SPDX; otherwise every one is written as a name.
 */
function licensesOf(licenses: readonly string[]): Models.License[] {
  const forms = [...new Set(licenses)].map(classifyLicense).filter((f): f is LicenseForm => f !== undefined);
  const declared = <T extends Models.License>(l: T): T => {
    l.acknowledgement = Enums.LicenseAcknowledgement.Declared;
    return l;
  };
  if (forms.some((f) => f.kind === 'expression')) {
    const parts = forms.map((f) =>
      f.kind === 'id' ? f.id : f.kind === 'expression' ? `(${f.expression})` : undefined,
    );
    const joined = parts.every((p) => p !== undefined) ? canonicalExpression(parts.join(' AND ')) : undefined;
    if (joined !== undefined) return [declared(new Models.LicenseExpression(joined))];
    return forms.map((f) =>
      declared(
        f.kind === 'id'
          ? new Models.SpdxLicense(f.id)
          : new Models.NamedLicense(f.kind === 'expression' ? f.expression : f.name),
      ),
    );
  }
  return forms.map((f) =>
    declared(
      f.kind === 'id'
        ? new Models.SpdxLicense(f.id)
        : new Models.NamedLicense(f.kind === 'name' ? f.name : f.expression),
    ),
  );
}

/** CycloneDX convention: Go modules are named by their whole path, other namespaces go in `group`. */
function nameAndGroup(o: OrderedPackage): { name: string; group?: string } {
  const pkg: Package = o.pkg;
  if (pkg.type === 'golang' || pkg.namespace === undefined || pkg.namespace === '')
    return { name: o.qualifiedName };
  if (pkg.type === 'npm' || pkg.type === 'maven' || pkg.type === 'composer')
    return { name: pkg.name, group: pkg.namespace };
  return { name: pkg.name };
}

function packageComponent(o: OrderedPackage): Models.Component {
  const { name, group } = nameAndGroup(o);
  const c = new Models.Component(Enums.ComponentType.Library, name, {
    bomRef: o.ref,
    version: o.pkg.version,
    ...(group === undefined ? {} : { group }),
    ...(o.purl === undefined ? {} : { purl: o.purl }),
  });
  for (const l of licensesOf(o.pkg.licenses)) c.licenses.add(l);
  addProperties(c.properties, packageProperties(o.pkg));
  return c;
}

/**
 * A CycloneDX 1.6 JSON BOM for an image: the image is `metadata.component` (type `container`),
 * the OS an `operating-system` component, every package a `library` component with purl,
 * declared licenses and location properties. Sorted, with bom-refs derived from purls.
 *
 * @throws SbomError SBOM_OPTION_INVALID for a malformed serial number or an invalid timestamp.
 */
export function toCycloneDx(input: SbomInput): SbomJson {
  const bom = new Models.Bom({ serialNumber: resolveSerialNumber(input.serialNumber) });
  bom.metadata.timestamp = resolveTimestamp(input.timestamp);
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, input.tool.name, { version: input.tool.version }),
  );
  bom.metadata.component = imageComponent(input.image);
  if (input.inventory.os !== undefined) bom.components.add(osComponent(input.inventory.os));
  for (const o of orderPackages(input.inventory.packages)) bom.components.add(packageComponent(o));
  const normalized = new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6)
    .makeForBom()
    .normalize(bom, { sortLists: true });
  // Through JSON once so that the result is plain data (no undefined-valued keys), as a reader sees it.
  return JSON.parse(JSON.stringify(normalized)) as SbomJson;
}
