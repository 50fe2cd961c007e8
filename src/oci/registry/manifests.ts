import { digestAlgorithm, digestOf, tryParseDigest, type Digest } from '../../core/index.js';
import { formatImageRef, withDefaultTag, type ImageRef, type RepositoryRef } from '../../imageref/index.js';
import { OciError } from '../errors.js';
import { MANIFEST_ACCEPT } from '../mediatypes.js';
import { parseManifest } from '../resolve.js';
import { manifestPath, pullScopes, pushScopes, type RegistryContext } from './context.js';
import { discardBody, readBody } from './http.js';
import { errorFromResponse } from './responses.js';

export type FetchedManifest = { readonly bytes: Buffer; readonly mediaType: string; readonly digest: Digest };
export type ManifestHead = { readonly digest: Digest; readonly mediaType: string; readonly size: number };

/** The reference part of a manifest URL: the digest when there is one (it is what is pulled), else the tag. */
export function manifestReference(ref: ImageRef): string {
  const r = withDefaultTag(ref);
  return r.digest ?? r.tag ?? 'latest';
}

function contentType(value: string | undefined): string | undefined {
  const mt = value?.split(';')[0]?.trim();
  return mt === undefined || mt === '' ? undefined : mt;
}

function tooLarge(ref: ImageRef, max: number, size: number | undefined): OciError {
  return new OciError(
    'MANIFEST_TOO_LARGE',
    `manifest ${formatImageRef(ref)} is ${size !== undefined ? `${size} bytes` : 'larger than allowed'}, over the ${max}-byte limit`,
  );
}

/** Checks that `bytes` hash to `expected` (in its own algorithm). */
function verifyManifestDigest(bytes: Buffer, expected: Digest, what: string, source: string): void {
  const actual = digestOf(bytes, digestAlgorithm(expected));
  if (actual !== expected) {
    throw new OciError(
      'MANIFEST_INVALID',
      `manifest ${what} failed verification: ${source} says ${expected}, content hashes to ${actual}`,
    );
  }
}

/**
 * GET a manifest or index by tag or digest, with size cap and digest verification.
 * @throws OciError MANIFEST_UNKNOWN, MANIFEST_TOO_LARGE, MANIFEST_UNSUPPORTED (schema 1),
 *   MANIFEST_INVALID (malformed, or bytes that do not match the digest), plus transport errors.
 */
export async function getManifest(
  ctx: RegistryContext,
  ref: ImageRef,
  accept: readonly string[] = MANIFEST_ACCEPT,
): Promise<FetchedManifest> {
  const what = formatImageRef(ref);
  const max = ctx.limits.maxManifestBytes;
  const res = await ctx.transport.request(ref.registry, {
    method: 'GET',
    target: manifestPath(ref, manifestReference(ref)),
    headers: { accept: accept.join(', ') },
    scopes: pullScopes(ref),
  });
  if (res.status !== 200) throw await errorFromResponse(res, `manifest ${what}`, 'MANIFEST_UNKNOWN');
  const bytes = await readBody(res, max, (size) => tooLarge(ref, max, size));
  const declared = contentType(res.header('content-type'));
  // Parsing here refuses schema 1 and malformed documents before anyone relies on them.
  const parsed = parseManifest(bytes, declared, what, max);
  const refDigest = ref.digest !== undefined ? tryParseDigest(ref.digest) : undefined;
  if (ref.digest !== undefined && refDigest === undefined) {
    throw new OciError('TARGET_INVALID', `unsupported digest in ${what}`);
  }
  if (refDigest !== undefined) verifyManifestDigest(bytes, refDigest, what, 'the reference');
  const headerDigest = tryParseDigest(res.header('docker-content-digest') ?? '');
  if (headerDigest !== undefined)
    verifyManifestDigest(bytes, headerDigest, what, 'the registry (Docker-Content-Digest)');
  return { bytes, mediaType: parsed.mediaType, digest: refDigest ?? digestOf(bytes) };
}

/**
 * HEAD a manifest: its digest, media type and size, or undefined when it does not exist.
 * Registries that omit Docker-Content-Digest on HEAD get a GET instead.
 * @throws OciError for errors other than 404.
 */
export async function headManifest(
  ctx: RegistryContext,
  ref: ImageRef,
  accept: readonly string[] = MANIFEST_ACCEPT,
): Promise<ManifestHead | undefined> {
  const what = formatImageRef(ref);
  const res = await ctx.transport.request(ref.registry, {
    method: 'HEAD',
    target: manifestPath(ref, manifestReference(ref)),
    headers: { accept: accept.join(', ') },
    scopes: pullScopes(ref),
  });
  discardBody(res);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw await errorFromResponse(res, `manifest ${what}`, 'MANIFEST_UNKNOWN');
  const digest =
    tryParseDigest(res.header('docker-content-digest') ?? '') ??
    (ref.digest !== undefined ? tryParseDigest(ref.digest) : undefined);
  const size = Number(res.header('content-length') ?? 'NaN');
  const mediaType = contentType(res.header('content-type'));
  if (digest === undefined || !Number.isSafeInteger(size) || mediaType === undefined) {
    const full = await getManifest(ctx, ref, accept);
    return { digest: full.digest, mediaType: full.mediaType, size: full.bytes.length };
  }
  return { digest, mediaType, size };
}

/**
 * PUT manifest bytes under a tag or their digest (a reference with both is pushed under the tag,
 * after checking the bytes against the digest). Returns the digest and the response's
 * `OCI-Subject` header (which tells whether the registry indexed the subject itself).
 * @throws OciError MANIFEST_TOO_LARGE, MANIFEST_INVALID (digest reference that does not match, or
 *   the registry refused it), DENIED, UNAUTHORIZED, plus transport errors.
 */
export async function putManifestBytes(
  ctx: RegistryContext,
  ref: ImageRef,
  bytes: Buffer,
  mediaType: string,
): Promise<{ digest: Digest; ociSubject: string | undefined }> {
  const what = formatImageRef(ref);
  const max = ctx.limits.maxManifestBytes;
  if (bytes.length > max) throw tooLarge(ref, max, bytes.length);
  let digest = digestOf(bytes);
  if (ref.digest !== undefined) {
    const want = tryParseDigest(ref.digest);
    if (want === undefined) throw new OciError('TARGET_INVALID', `unsupported digest in ${what}`);
    verifyManifestDigest(bytes, want, what, 'the reference');
    digest = want;
  } else if (ref.tag === undefined) {
    throw new OciError('TARGET_INVALID', `pushing manifest to ${what} needs a tag or a digest`);
  }
  const res = await ctx.transport.request(ref.registry, {
    method: 'PUT',
    // name:tag@digest pushes under the tag; the digest only checks the bytes.
    target: manifestPath(ref, ref.tag ?? ref.digest ?? ''),
    headers: { 'content-type': mediaType },
    body: () => bytes,
    scopes: pushScopes(ref),
  });
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) {
    throw await errorFromResponse(res, `pushing manifest ${what}`, 'MANIFEST_UNKNOWN');
  }
  discardBody(res);
  const echoed = tryParseDigest(res.header('docker-content-digest') ?? '');
  if (echoed !== undefined && digestAlgorithm(echoed) === digestAlgorithm(digest) && echoed !== digest) {
    throw new OciError(
      'MANIFEST_INVALID',
      `registry stored manifest ${what} as ${echoed}, but its content hashes to ${digest}`,
    );
  }
  return { digest, ociSubject: res.header('oci-subject') };
}

/** A repository reference for a manifest digest (no tag). */
export function byDigest(repo: RepositoryRef, digest: Digest): ImageRef {
  return { registry: repo.registry, repository: repo.repository, digest };
}
