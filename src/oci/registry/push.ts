import { pipeline, type Readable } from 'node:stream';
import {
  CoreError,
  VerifyingStream,
  digestAlgorithm,
  digestOf,
  tryParseDigest,
  type Digest,
} from '../../core/index.js';
import { sameRepository, type ImageRef, type RepositoryRef } from '../../imageref/index.js';
import { OciError } from '../errors.js';
import { repositoryScope } from './auth.js';
import { pushScopes, repoName, repositoryPath, type RegistryContext } from './context.js';
import { blobExists } from './blobs.js';
import { discardBody, type HttpResponse } from './http.js';
import { putManifestBytes } from './manifests.js';
import { addToReferrersTag, referrerOf } from './referrers.js';
import { errorFromResponse } from './responses.js';

export type PushBlobOptions = {
  /** Upload in PATCH chunks of this many bytes instead of one PUT. */
  readonly chunkSize?: number | undefined;
  /** Ask the registry to mount the blob from this repository (same registry) instead of uploading. */
  readonly mountFrom?: RepositoryRef | undefined;
};

/** What pushBlob did: nothing (already there), a cross-repository mount, or an upload. */
export type PushBlobResult = 'exists' | 'mounted' | 'uploaded';

/** Blobs up to this size go in one `POST ?digest=`, which saves a round trip where supported. */
const SINGLE_POST_MAX_BYTES = 64 * 1024;
const OCTET_STREAM = 'application/octet-stream';

function uploadLocation(res: HttpResponse, what: string): URL {
  const location = res.header('location');
  if (location === undefined || location === '') {
    throw new OciError(
      'REGISTRY_ERROR',
      `${what}: the registry answered ${res.status} without an upload Location`,
    );
  }
  // Locations may be absolute or relative to the request (distribution spec, "Pushing blobs").
  return new URL(location, res.url);
}

function withDigest(location: URL, digest: Digest): URL {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u;
}

async function readAll(source: Readable, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > size) break;
    chunks.push(b);
  }
  source.destroy();
  return Buffer.concat(chunks);
}

function checkBuffer(buf: Buffer, digest: Digest, size: number): Buffer {
  if (buf.length !== size) {
    throw new CoreError(
      'SIZE_MISMATCH',
      `blob ${digest} has the wrong size: expected ${size} bytes, got ${buf.length}`,
    );
  }
  const actual = digestOf(buf, digestAlgorithm(digest));
  if (actual !== digest)
    throw new CoreError('DIGEST_MISMATCH', `blob ${digest} failed verification: content hashes to ${actual}`);
  return buf;
}

/** The source as bytes that are checked on the way out, so a wrong source fails here, not at the registry. */
function verifiedSource(
  source: () => Readable | Buffer,
  digest: Digest,
  size: number,
): () => Readable | Buffer {
  return () => {
    const s = source();
    if (Buffer.isBuffer(s)) return checkBuffer(s, digest, size);
    const verifier = new VerifyingStream(digest, size, 'blob');
    // pipeline (not pipe) so that a failing source fails the verified stream too.
    pipeline(s, verifier, () => undefined);
    return verifier;
  };
}

async function* chunksOf(source: Readable | Buffer, chunkSize: number): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(source)) {
    for (let i = 0; i < source.length; i += chunkSize) yield source.subarray(i, i + chunkSize);
    return;
  }
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    const b = chunk as Buffer;
    pending.push(b);
    pendingBytes += b.length;
    while (pendingBytes >= chunkSize) {
      const all = Buffer.concat(pending, pendingBytes);
      yield all.subarray(0, chunkSize);
      pending = [all.subarray(chunkSize)];
      pendingBytes -= chunkSize;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

async function finishUpload(
  ctx: RegistryContext,
  repo: RepositoryRef,
  res: HttpResponse,
  digest: Digest,
  what: string,
): Promise<void> {
  if (res.status !== 201 && res.status !== 204 && res.status !== 200)
    throw await errorFromResponse(res, what, 'BLOB_UNKNOWN');
  discardBody(res);
  const echoed = tryParseDigest(res.header('docker-content-digest') ?? '');
  if (echoed !== undefined && echoed !== digest && digestAlgorithm(echoed) === digestAlgorithm(digest)) {
    throw new OciError('REGISTRY_ERROR', `${what}: the registry stored ${echoed} instead of ${digest}`);
  }
  ctx.logger.debug('blob uploaded', { registry: repo.registry, repository: repo.repository, digest });
}

/**
 * Uploads a blob unless the repository has it: tries a cross-repository mount first when
 * `mountFrom` names another repository of the same registry, then uploads monolithically
 * (one POST for small blobs, else POST + PUT) or in PATCH chunks. `source` is called once per
 * attempt, so it must return fresh content each time.
 * @throws OciError DENIED, UNAUTHORIZED, REGISTRY_ERROR (upload refused); CoreError
 *   DIGEST_MISMATCH / SIZE_MISMATCH when the source does not match `desc`.
 */
export async function pushBlob(
  ctx: RegistryContext,
  repo: RepositoryRef,
  desc: { readonly digest: Digest | string; readonly size: number },
  source: () => Readable | Buffer,
  opts: PushBlobOptions = {},
): Promise<PushBlobResult> {
  const digest = tryParseDigest(desc.digest);
  if (digest === undefined)
    throw new OciError('TARGET_INVALID', `unsupported blob digest "${String(desc.digest).slice(0, 80)}"`);
  if (!Number.isSafeInteger(desc.size) || desc.size < 0)
    throw new OciError('TARGET_INVALID', `invalid blob size ${desc.size}`);
  const what = `pushing blob ${digest} to ${repoName(repo)}`;
  const scopes = pushScopes(repo);
  if (await blobExists(ctx, repo, digest, scopes)) return 'exists';
  const body = verifiedSource(source, digest, desc.size);

  let location: URL | undefined;
  const from = opts.mountFrom;
  if (from !== undefined && from.registry === repo.registry && !sameRepository(from, repo)) {
    const mountScopes = [...scopes, repositoryScope(from.repository, false)];
    const q = `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from.repository)}`;
    const res = await ctx.transport.request(repo.registry, {
      method: 'POST',
      target: repositoryPath(repo, `blobs/uploads/${q}`),
      scopes: mountScopes,
    });
    if (res.status === 201) {
      discardBody(res);
      ctx.logger.debug('blob mounted', {
        registry: repo.registry,
        repository: repo.repository,
        from: from.repository,
        digest,
      });
      return 'mounted';
    }
    if (res.status !== 202)
      throw await errorFromResponse(res, `${what} (mount from ${from.repository})`, 'BLOB_UNKNOWN');
    discardBody(res);
    // 202: the registry could not mount and opened an ordinary upload session instead.
    location = uploadLocation(res, what);
  } else if (from !== undefined) {
    ctx.logger.debug('not mounting across registries or from the same repository', {
      from: repoName(from),
      to: repoName(repo),
    });
  }

  const chunkSize = opts.chunkSize;
  if (location === undefined && chunkSize === undefined && desc.size <= SINGLE_POST_MAX_BYTES) {
    const first = body();
    const bytes = Buffer.isBuffer(first)
      ? first
      : checkBuffer(await readAll(first, desc.size), digest, desc.size);
    const res = await ctx.transport.request(repo.registry, {
      method: 'POST',
      target: repositoryPath(repo, `blobs/uploads/?digest=${encodeURIComponent(digest)}`),
      headers: { 'content-type': OCTET_STREAM },
      body: () => bytes,
      scopes,
    });
    if (res.status === 201) {
      await finishUpload(ctx, repo, res, digest, what);
      return 'uploaded';
    }
    if (res.status !== 202) throw await errorFromResponse(res, what, 'BLOB_UNKNOWN');
    discardBody(res);
    // 202: the registry ignored the body and opened a session; finish with a PUT (spec end-6).
    const put = await ctx.transport.request(repo.registry, {
      method: 'PUT',
      target: withDigest(uploadLocation(res, what), digest),
      headers: { 'content-type': OCTET_STREAM },
      body: () => bytes,
      scopes,
    });
    await finishUpload(ctx, repo, put, digest, what);
    return 'uploaded';
  }

  if (location === undefined) {
    const res = await ctx.transport.request(repo.registry, {
      method: 'POST',
      target: repositoryPath(repo, 'blobs/uploads/'),
      scopes,
    });
    if (res.status !== 202) throw await errorFromResponse(res, what, 'BLOB_UNKNOWN');
    discardBody(res);
    location = uploadLocation(res, what);
    const min = Number(res.header('oci-chunk-min-length') ?? 'NaN');
    if (chunkSize !== undefined && Number.isSafeInteger(min) && min > chunkSize) {
      return chunkedUpload(ctx, repo, location, digest, body, min, what);
    }
  }
  if (chunkSize !== undefined) {
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1)
      throw new OciError('TARGET_INVALID', `chunk size must be a positive integer, got ${chunkSize}`);
    return chunkedUpload(ctx, repo, location, digest, body, chunkSize, what);
  }
  const session = location;
  return withCancel<PushBlobResult>(
    ctx,
    repo,
    () => session,
    async () => {
      const put = await ctx.transport.request(repo.registry, {
        method: 'PUT',
        target: withDigest(session, digest),
        headers: { 'content-type': OCTET_STREAM, 'content-length': String(desc.size) },
        body,
        scopes,
      });
      await finishUpload(ctx, repo, put, digest, what);
      return 'uploaded';
    },
  );
}

/**
 * Runs an upload and, if it fails, cancels the session (distribution spec end-14) so that the
 * registry can drop what it received; registries that cannot cancel expire sessions anyway.
 */
async function withCancel<T>(
  ctx: RegistryContext,
  repo: RepositoryRef,
  session: () => URL,
  upload: () => Promise<T>,
): Promise<T> {
  try {
    return await upload();
  } catch (err) {
    try {
      const res = await ctx.transport.request(repo.registry, {
        method: 'DELETE',
        target: session(),
        scopes: pushScopes(repo),
      });
      discardBody(res);
    } catch {
      // Best effort: the upload's own error is what matters.
    }
    throw err;
  }
}

async function chunkedUpload(
  ctx: RegistryContext,
  repo: RepositoryRef,
  start: URL,
  digest: Digest,
  body: () => Readable | Buffer,
  chunkSize: number,
  what: string,
): Promise<PushBlobResult> {
  const scopes = pushScopes(repo);
  let location = start;
  let offset = 0;
  return withCancel<PushBlobResult>(
    ctx,
    repo,
    () => location,
    async () => {
      for await (const chunk of chunksOf(body(), chunkSize)) {
        const end = offset + chunk.length - 1;
        const res = await ctx.transport.request(repo.registry, {
          method: 'PATCH',
          target: location,
          // distribution spec end-5: Content-Range is "<start>-<end>", inclusive, without a unit.
          headers: { 'content-type': OCTET_STREAM, 'content-range': `${offset}-${end}` },
          body: () => chunk,
          scopes,
        });
        if (res.status !== 202)
          throw await errorFromResponse(res, `${what} (chunk at byte ${offset})`, 'BLOB_UNKNOWN');
        discardBody(res);
        location = uploadLocation(res, what);
        offset = end + 1;
      }
      const put = await ctx.transport.request(repo.registry, {
        method: 'PUT',
        target: withDigest(location, digest),
        headers: { 'content-type': OCTET_STREAM },
        body: () => Buffer.alloc(0),
        scopes,
      });
      await finishUpload(ctx, repo, put, digest, what);
      return 'uploaded';
    },
  );
}

/**
 * Pushes a manifest under a tag or its digest and returns its digest. When it has a `subject`
 * and the registry does not confirm indexing it (`OCI-Subject`), the referrers tag index of the
 * subject is updated so that getReferrers finds it on registries without the referrers API.
 * @throws OciError as putManifestBytes, plus errors updating the referrers tag.
 */
export async function putManifest(
  ctx: RegistryContext,
  ref: ImageRef,
  bytes: Buffer,
  mediaType: string,
): Promise<Digest> {
  const { digest, ociSubject } = await putManifestBytes(ctx, ref, bytes, mediaType);
  const referrer = referrerOf(bytes, mediaType, digest);
  if (referrer !== undefined && ociSubject === undefined) {
    await addToReferrersTag(ctx, ref, referrer.subject, referrer.descriptor);
  }
  return digest;
}
