import { existsSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, truncateForMessage } from '../../core/index.js';
import { parseImageRef, tryParseImageRef, type ImageRef } from '../../imageref/index.js';
import { OciError } from '../errors.js';
import type { ImageSource } from '../image.js';
import { OciArchiveSource } from './archive.js';
import { DockerArchiveSource, type DockerArchiveSelector } from './dockerarchive.js';
import { OciLayoutSource } from './layout.js';
import type { SourceOptions } from './options.js';
import { RootfsSource } from './rootfs.js';

/** A parsed image target: where to read an image from. Paths are absolute. */
export type Target =
  /** `reference` is the reference as written (without `docker://`), `ref` its normalized form. */
  | { readonly kind: 'docker'; readonly reference: string; readonly ref: ImageRef }
  | { readonly kind: 'oci'; readonly path: string; readonly tag: string | undefined }
  | { readonly kind: 'oci-archive'; readonly path: string; readonly tag: string | undefined }
  | {
      readonly kind: 'docker-archive';
      readonly path: string;
      readonly selector: DockerArchiveSelector | undefined;
    }
  | { readonly kind: 'rootfs'; readonly path: string };

/** The target forms accepted, as listed in error messages and help. */
export const TARGET_FORMS: readonly string[] = [
  'docker://REF or a bare REF (registry image, e.g. alpine:3.19)',
  'oci:DIR[:TAG] (OCI image layout directory)',
  'oci-archive:FILE[:TAG] (tar of an OCI layout, optionally gzip-compressed)',
  'docker-archive:FILE[:REPO:TAG|@N] (docker save output, optionally gzip-compressed)',
  'rootfs:DIR (unpacked root filesystem)',
];

const MAX_TARGET_LENGTH = 4096;

// Transports other tools (skopeo, podman) accept that we do not read; named so the error says so.
const UNSUPPORTED_TRANSPORTS = new Set([
  'dir',
  'docker-daemon',
  'containers-storage',
  'ostree',
  'sif',
  'tarball',
  'oci-dir',
]);

// OCI image-spec annotations.md, org.opencontainers.image.ref.name:
//   ref ::= component ("/" component)*; component ::= alphanum (separator alphanum)*;
//   separator ::= [-._:@+] | "--"
const REF_COMPONENT = '[A-Za-z0-9]+(?:(?:--|[-._:@+])[A-Za-z0-9]+)*';
const REF_NAME_RE = new RegExp(`^${REF_COMPONENT}(?:/${REF_COMPONENT})*$`);

/** True for a string that may be an OCI layout's ref.name (what `oci:DIR:TAG` selects by). */
export function isValidLayoutRefName(name: string): boolean {
  return name.length <= 256 && REF_NAME_RE.test(name);
}

function invalidTarget(target: string, why: string, cause?: unknown): OciError {
  return new OciError(
    'TARGET_INVALID',
    `invalid image target "${truncateForMessage(target)}": ${why}; accepted forms: ${TARGET_FORMS.join('; ')}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Splits `PATH[:NAME]`. PATH may itself contain colons, so the split is made at the rightmost
 * colon such that what follows is a valid NAME and the path before it exists; when no colon
 * qualifies, the whole string is the path. (So `oci:/data/a:b:latest` opens `/data/a:b` with tag
 * `latest` when that directory exists.)
 */
function splitPathAndName(
  rest: string,
  cwd: string,
  isName: (s: string) => boolean,
): { path: string; name: string | undefined } {
  for (let i = rest.lastIndexOf(':'); i > 0; i = rest.lastIndexOf(':', i - 1)) {
    const name = rest.slice(i + 1);
    const p = rest.slice(0, i);
    if (isName(name) && existsSync(path.resolve(cwd, p))) return { path: path.resolve(cwd, p), name };
  }
  return { path: path.resolve(cwd, rest), name: undefined };
}

function parseDockerArchive(rest: string, cwd: string): Target {
  // skopeo writes the index form as FILE:@N; FILE@N is accepted too.
  const at = /^(.*?):?@(\d{1,9})$/.exec(rest);
  if (at?.[1] !== undefined && at[2] !== undefined && at[1] !== '' && existsSync(path.resolve(cwd, at[1]))) {
    return {
      kind: 'docker-archive',
      path: path.resolve(cwd, at[1]),
      selector: { kind: 'index', index: Number(at[2]) },
    };
  }
  const split = splitPathAndName(rest, cwd, (s) => tryParseImageRef(s) !== undefined);
  return {
    kind: 'docker-archive',
    path: split.path,
    selector: split.name === undefined ? undefined : { kind: 'reference', reference: split.name },
  };
}

/**
 * Parses an image target: `docker://REF` or a bare reference, `oci:DIR[:TAG]`,
 * `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:REPO:TAG|@N]`, `rootfs:DIR`. Relative paths
 * are resolved against `cwd`. Only the existence of paths is looked at (to place the tag split);
 * nothing is opened.
 *
 * @throws OciError TARGET_INVALID naming the target and listing the accepted forms.
 */
export function parseTarget(target: string, options?: { readonly cwd?: string }): Target {
  const cwd = options?.cwd ?? process.cwd();
  if (target.trim() === '') throw invalidTarget(target, 'it is empty');
  if (target.length > MAX_TARGET_LENGTH)
    throw invalidTarget(target, `it is longer than ${MAX_TARGET_LENGTH} characters`);
  if (target.includes('\0')) throw invalidTarget(target, 'it contains a NUL byte');

  const prefixed = (prefix: string): string | undefined => {
    if (!target.startsWith(prefix)) return undefined;
    const rest = target.slice(prefix.length);
    if (rest === '') throw invalidTarget(target, `nothing follows "${prefix}"`);
    return rest;
  };

  const dockerRef = prefixed('docker://');
  if (dockerRef !== undefined) {
    try {
      return { kind: 'docker', reference: dockerRef, ref: parseImageRef(dockerRef) };
    } catch (err) {
      throw invalidTarget(target, errorMessage(err), err);
    }
  }
  const oci = prefixed('oci:');
  if (oci !== undefined) {
    const { path: p, name } = splitPathAndName(oci, cwd, isValidLayoutRefName);
    return { kind: 'oci', path: p, tag: name };
  }
  const ociArchive = prefixed('oci-archive:');
  if (ociArchive !== undefined) {
    const { path: p, name } = splitPathAndName(ociArchive, cwd, isValidLayoutRefName);
    return { kind: 'oci-archive', path: p, tag: name };
  }
  const dockerArchive = prefixed('docker-archive:');
  if (dockerArchive !== undefined) return parseDockerArchive(dockerArchive, cwd);
  const rootfs = prefixed('rootfs:');
  if (rootfs !== undefined) return { kind: 'rootfs', path: path.resolve(cwd, rootfs) };

  const transport = /^([a-z][a-z0-9-]*):/.exec(target)?.[1];
  if (transport !== undefined && UNSUPPORTED_TRANSPORTS.has(transport)) {
    throw invalidTarget(target, `the "${transport}:" transport is not supported`);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target))
    throw invalidTarget(target, 'only docker:// URLs are image targets');
  try {
    return { kind: 'docker', reference: target, ref: parseImageRef(target) };
  } catch (err) {
    const hint = existsSync(path.resolve(cwd, target))
      ? `; ${target} is a local path: prefix it with docker-archive:, oci-archive:, oci: or rootfs:`
      : '';
    throw invalidTarget(target, `${errorMessage(err)}${hint}`, err);
  }
}

/** Options for openImageSource: the local sources' options plus the registry factory. */
export type OpenImageSourceOptions = SourceOptions & {
  /** Makes the source for registry references; injected so this module needs no registry client. */
  readonly registry?: ((ref: ImageRef) => ImageSource) | undefined;
  /** Directory relative paths in the target are resolved against; defaults to process.cwd(). */
  readonly cwd?: string | undefined;
};

/**
 * Makes the image source a target names; nothing is read until `open()`.
 *
 * @throws OciError (as a rejection) TARGET_INVALID for a malformed target, SOURCE_INVALID for a
 *   registry reference when no `registry` factory was given.
 */
export function openImageSource(target: string, options: OpenImageSourceOptions = {}): Promise<ImageSource> {
  // Asynchronous so that callers handle a bad target like any other failure to open, and so
  // that sources may later check their input before returning.
  return new Promise((resolve) => {
    resolve(makeImageSource(target, options));
  });
}

function makeImageSource(target: string, options: OpenImageSourceOptions): ImageSource {
  const parsed = parseTarget(target, options.cwd !== undefined ? { cwd: options.cwd } : undefined);
  switch (parsed.kind) {
    case 'docker':
      if (options.registry === undefined) {
        throw new OciError(
          'SOURCE_INVALID',
          `cannot open ${truncateForMessage(target)}: registry images are not available here (no registry client configured)`,
        );
      }
      return options.registry(parsed.ref);
    case 'oci':
      return new OciLayoutSource(parsed.path, parsed.tag, options);
    case 'oci-archive':
      return new OciArchiveSource(parsed.path, parsed.tag, options);
    case 'docker-archive':
      return new DockerArchiveSource(parsed.path, parsed.selector, options);
    case 'rootfs':
      return new RootfsSource(parsed.path);
  }
}
