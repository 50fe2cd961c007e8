import type { OsInfo, Package } from '../inventory/index.js';
import type { ImageSubject } from './types.js';

// Facts the formats have no field for travel as name/value pairs: CycloneDX `properties`
// (CycloneDX 1.6 "properties", names namespaced as the CycloneDX property taxonomy asks), and in
// SPDX one annotation per package whose comment is the same pairs as a JSON object. The reader
// takes them back, so our own SBOMs round-trip locations, source packages and declaredOnly.

/** Namespace of our property names. */
export const PROPERTY_PREFIX = 'portcullis:';

/** Property names, one place for writer and reader. */
export const PROP = {
  path: 'portcullis:location:path',
  layerIndex: 'portcullis:location:layerIndex',
  layerDiffID: 'portcullis:location:layerDiffID',
  createdBy: 'portcullis:location:createdBy',
  sourceName: 'portcullis:source:name',
  sourceVersion: 'portcullis:source:version',
  declaredOnly: 'portcullis:declaredOnly',
  arch: 'portcullis:package:arch',
  metadataPrefix: 'portcullis:metadata:',
  imageReference: 'portcullis:image:reference',
  imageConfigDigest: 'portcullis:image:configDigest',
  imageIndexDigest: 'portcullis:image:indexDigest',
  imagePlatform: 'portcullis:image:platform',
  imageTag: 'portcullis:image:tag',
  osFamily: 'portcullis:os:family',
  osCodename: 'portcullis:os:codename',
  osSource: 'portcullis:os:source',
  osDistroless: 'portcullis:os:distroless',
} as const;

/** A name/value pair. */
export type Property = readonly [name: string, value: string];

function defined(name: string, value: string | undefined): Property[] {
  return value === undefined || value === '' ? [] : [[name, value]];
}

/** Where a package was found, its source package and the rest of what the formats have no field for. */
export function packageProperties(pkg: Package): Property[] {
  const loc = pkg.location;
  return [
    ...defined(PROP.path, loc.path),
    ...(loc.layerIndex >= 0 ? defined(PROP.layerIndex, String(loc.layerIndex)) : []),
    ...defined(PROP.layerDiffID, loc.diffID),
    ...defined(PROP.createdBy, loc.createdBy),
    ...defined(PROP.sourceName, pkg.source?.name),
    ...defined(PROP.sourceVersion, pkg.source?.version),
    ...(pkg.declaredOnly === true ? defined(PROP.declaredOnly, 'true') : []),
    ...defined(PROP.arch, pkg.arch),
    ...Object.keys(pkg.metadata ?? {})
      .sort()
      .flatMap((k) => defined(`${PROP.metadataPrefix}${k}`, pkg.metadata?.[k])),
  ];
}

/** The image facts beyond name, digest and purl: reference, config, index, platform, tag and each layer. */
export function imageProperties(image: ImageSubject): Property[] {
  return [
    ...defined(PROP.imageReference, image.reference),
    ...defined(PROP.imageConfigDigest, image.configDigest),
    ...defined(PROP.imageIndexDigest, image.indexDigest),
    ...defined(PROP.imagePlatform, image.platform),
    ...defined(PROP.imageTag, image.tag),
    ...image.layers.flatMap((l) => [
      ...defined(`portcullis:image:layer:${l.index}:diffID`, l.diffID),
      ...defined(`portcullis:image:layer:${l.index}:digest`, l.digest),
      ...defined(`portcullis:image:layer:${l.index}:createdBy`, l.createdBy),
    ]),
  ];
}

/** What os-release said beyond ID and VERSION_ID. */
export function osProperties(os: OsInfo): Property[] {
  return [
    ...defined(PROP.osFamily, os.family),
    ...defined(PROP.osCodename, os.codename),
    ...defined(PROP.osSource, os.source),
    ...(os.distroless ? defined(PROP.osDistroless, 'true') : []),
  ];
}
