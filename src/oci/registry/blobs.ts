import { Readable, pipeline } from 'node:stream';
import { VerifyingStream, tryParseDigest, type Digest } from '../../core/index.js';
import type { RepositoryRef } from '../../imageref/index.js';
import { OciError } from '../errors.js';
import { blobPath, pullScopes, repoName, type RegistryContext } from './context.js';
import { classifyNetworkError, discardBody, type HttpResponse } from './http.js';
import { errorFromResponse } from './responses.js';
import { retryDelay, sleep } from './retry.js';
import { networkError } from './transport.js';

/** What is needed to fetch a blob: its digest and, when known, its size. */
export type BlobDescriptor = { readonly digest: Digest | string; readonly size?: number | undefined };

function checkDigest(desc: BlobDescriptor): Digest {
  const d = tryParseDigest(desc.digest);
  if (d === undefined)
    throw new OciError('TARGET_INVALID', `unsupported blob digest "${String(desc.digest).slice(0, 80)}"`);
  return d;
}

async function requestBlob(
  ctx: RegistryContext,
  repo: RepositoryRef,
  digest: Digest,
  offset: number,
): Promise<HttpResponse> {
  const res = await ctx.transport.request(repo.registry, {
    method: 'GET',
    target: blobPath(repo, digest),
    headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    scopes: pullScopes(repo),
  });
  if (res.status === 200 || (offset > 0 && res.status === 206)) return res;
  throw await errorFromResponse(res, `blob ${digest} in ${repoName(repo)}`, 'BLOB_UNKNOWN');
}

/** Bytes to drop from a resumed response so that the stream continues at `offset`. */
function bytesToSkip(res: HttpResponse, offset: number, digest: Digest): number {
  if (res.status === 200) return offset;
  // RFC 9110 §14.4: "bytes first-last/complete"; the server may start elsewhere than asked.
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.header('content-range') ?? '');
  const start = m?.[1] !== undefined ? Number(m[1]) : Number.NaN;
  if (start !== offset) {
    discardBody(res);
    throw new OciError(
      'REGISTRY_ERROR',
      `resuming blob ${digest} at byte ${offset}: the registry answered with range "${(res.header('content-range') ?? '').slice(0, 60)}"`,
    );
  }
  return 0;
}

/**
 * Opens a blob as a stream that is verified against its digest (and size, when given) at
 * the end. Errors that happen before the body starts (404, 401, ...) reject the promise; a
 * connection that drops mid-body is resumed with `Range: bytes=N-` up to the retry count.
 * @throws OciError BLOB_UNKNOWN, DENIED, UNAUTHORIZED, TIMEOUT, REGISTRY_UNREACHABLE; the stream
 *   fails with CoreError DIGEST_MISMATCH / SIZE_MISMATCH when the content is not what was promised.
 */
export async function openBlob(
  ctx: RegistryContext,
  repo: RepositoryRef,
  desc: BlobDescriptor,
): Promise<Readable> {
  const digest = checkDigest(desc);
  const first = await requestBlob(ctx, repo, digest, 0);
  const declared = Number(first.header('content-length') ?? 'NaN');
  if (desc.size !== undefined && Number.isSafeInteger(declared) && declared !== desc.size) {
    discardBody(first);
    throw new OciError(
      'REGISTRY_ERROR',
      `blob ${digest} in ${repoName(repo)}: the registry announced ${declared} bytes, the descriptor says ${desc.size}`,
    );
  }

  async function* resumable(): AsyncGenerator<Buffer> {
    let res = first;
    let skip = 0;
    let offset = 0;
    let failures = 0;
    for (;;) {
      const current = res;
      try {
        for await (const chunk of current.body) {
          let b = chunk as Buffer;
          if (skip > 0) {
            const drop = Math.min(skip, b.length);
            skip -= drop;
            b = b.subarray(drop);
            if (b.length === 0) continue;
          }
          offset += b.length;
          yield b;
        }
        return;
      } catch (err) {
        const kind = classifyNetworkError(err);
        if ((kind !== 'reset' && kind !== 'timeout') || failures >= ctx.retry.retries) {
          throw networkError(err, kind, repo.registry, current.url);
        }
        const delay = retryDelay(failures, ctx.retry);
        failures++;
        ctx.logger.info('blob download interrupted; resuming', {
          registry: repo.registry,
          digest,
          offset,
          attempt: failures,
          delayMs: delay,
        });
        await sleep(delay);
        res = await requestBlob(ctx, repo, digest, offset);
        skip = bytesToSkip(res, offset, digest);
      } finally {
        // Stop reading a connection we abandon (consumer gave up, or we move on to a resume).
        if (!current.body.readableEnded) current.body.destroy();
      }
    }
  }

  const verifier = new VerifyingStream(digest, desc.size, 'blob');
  pipeline(Readable.from(resumable(), { objectMode: false }), verifier, () => undefined);
  return verifier;
}

/**
 * Reads a small blob (a config, a signature payload) into memory.
 * @throws OciError LIMIT_EXCEEDED beyond `maxBytes`, plus openBlob's errors.
 */
export async function fetchBlob(
  ctx: RegistryContext,
  repo: RepositoryRef,
  desc: BlobDescriptor,
  maxBytes: number,
): Promise<Buffer> {
  if (desc.size !== undefined && desc.size > maxBytes) {
    throw new OciError(
      'LIMIT_EXCEEDED',
      `blob ${desc.digest} is ${desc.size} bytes, over the ${maxBytes}-byte limit`,
    );
  }
  const stream = await openBlob(ctx, repo, desc);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > maxBytes) {
      stream.destroy();
      throw new OciError('LIMIT_EXCEEDED', `blob ${desc.digest} is larger than the ${maxBytes}-byte limit`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Whether the repository has the blob (HEAD).
 * @throws OciError for answers other than 200 and 404.
 */
export async function blobExists(
  ctx: RegistryContext,
  repo: RepositoryRef,
  digest: Digest,
  scopes = pullScopes(repo),
): Promise<boolean> {
  const res = await ctx.transport.request(repo.registry, {
    method: 'HEAD',
    target: blobPath(repo, digest),
    scopes,
  });
  discardBody(res);
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw await errorFromResponse(res, `checking blob ${digest} in ${repoName(repo)}`, 'BLOB_UNKNOWN');
}
