import path from 'node:path';
import { tryParseImageRef } from '../imageref/index.js';
import { formatPlatform, isValidLayoutRefName, type Image } from '../oci/index.js';
import type { ImageSubject } from './types.js';

/** Values the caller knows better than the image's reference string (the CLI has the parsed target). */
export type ImageSubjectOverrides = {
  readonly name?: string;
  readonly repositoryUrl?: string;
  readonly tag?: string;
};

const ARCHIVE_SUFFIX = /\.(?:tar\.gz|tgz|tar\.zst|tar)$/i;

/** The last path element of a repository, lower-cased, as the purl `oci` type wants its name. */
function purlName(repositoryOrPath: string): string {
  const base =
    repositoryOrPath
      .split('/')
      .filter((s) => s !== '')
      .pop() ?? '';
  const name = base.replace(ARCHIVE_SUFFIX, '').toLowerCase();
  return name === '' ? 'image' : name;
}

type Derived = { name: string; repositoryUrl: string | undefined; tag: string | undefined };

/**
 * Name, repository and tag from a local source's reference `kind:location[:selector][@digest]`
 * (see oci's describeLocal). Locations may contain colons, so this is a best effort; the CLI
 * passes overrides from the target it parsed.
 */
function deriveLocal(image: Image): Derived {
  let rest = image.reference.slice(image.source.length + 1);
  if (image.kind === 'layered' && image.digest !== undefined && rest.endsWith(`@${image.digest}`)) {
    rest = rest.slice(0, -(image.digest.length + 1));
  }
  if (image.source === 'docker-archive') {
    rest = rest.replace(/@\d+$/, '');
    // FILE:REPO:TAG — the selector starts after the archive's file name.
    const m = /^(.*?\.(?:tar\.gz|tgz|tar)):(.+)$/i.exec(rest);
    const ref = m?.[2] === undefined ? undefined : tryParseImageRef(m[2]);
    if (ref !== undefined) return { name: purlName(ref.repository), repositoryUrl: undefined, tag: ref.tag };
    return { name: purlName(m?.[1] ?? rest), repositoryUrl: undefined, tag: undefined };
  }
  if (image.source === 'oci' || image.source === 'oci-archive') {
    const colon = rest.lastIndexOf(':');
    const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
    if (tag !== undefined && isValidLayoutRefName(tag)) {
      return { name: purlName(rest.slice(0, colon)), repositoryUrl: undefined, tag };
    }
  }
  return { name: purlName(rest), repositoryUrl: undefined, tag: undefined };
}

function derive(image: Image): Derived {
  if (image.source === 'docker') {
    // Registry images report `registry/repository[:tag]@digest` (formatImageRef).
    const ref = tryParseImageRef(image.reference);
    if (ref !== undefined) {
      return {
        name: purlName(ref.repository),
        repositoryUrl: `${ref.registry}/${ref.repository}`,
        tag: ref.tag,
      };
    }
  }
  if (image.kind === 'rootfs')
    return { name: purlName(path.basename(image.root)), repositoryUrl: undefined, tag: undefined };
  return deriveLocal(image);
}

/** The facts about an image that the SBOM writers record: identity, digests, platform and layers. */
export function imageSubject(image: Image, overrides: ImageSubjectOverrides = {}): ImageSubject {
  const d = derive(image);
  const name = overrides.name === undefined ? d.name : purlName(overrides.name);
  const repositoryUrl = overrides.repositoryUrl ?? d.repositoryUrl;
  const tag = overrides.tag ?? d.tag;
  if (image.kind === 'rootfs') {
    return {
      reference: image.reference,
      name,
      repositoryUrl,
      tag,
      digest: undefined,
      indexDigest: undefined,
      configDigest: undefined,
      platform: undefined,
      architecture: undefined,
      layers: [],
    };
  }
  return {
    reference: image.reference,
    name,
    repositoryUrl,
    tag,
    digest: image.digest,
    indexDigest: image.indexDigest,
    configDigest: image.configDigest,
    platform: image.platform === undefined ? undefined : formatPlatform(image.platform),
    architecture: image.platform?.architecture ?? image.config.architecture,
    layers: image.layers.map((l) => ({
      index: l.index,
      diffID: l.diffID,
      digest: l.descriptor.digest,
      createdBy: l.history?.created_by,
    })),
  };
}
