import type { Readable } from 'node:stream';
import { resolveLimits, silentLogger, type Digest, type Limits, type Logger } from '../../core/index.js';
import type { ImageRef, RepositoryRef } from '../../imageref/index.js';
import type { ImageIndex } from '../schema.js';
import { blobExists, fetchBlob, openBlob, type BlobDescriptor } from './blobs.js';
import type { RegistryContext } from './context.js';
import type { CredentialStore } from './credentials.js';
import { getManifest, headManifest, type FetchedManifest, type ManifestHead } from './manifests.js';
import { pushBlob, putManifest, type PushBlobOptions, type PushBlobResult } from './push.js';
import { getReferrers } from './referrers.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { listTags } from './tags.js';
import { RegistryTransport } from './transport.js';

export type RegistryClientOptions = {
  /** Where credentials come from; anonymous access without it. */
  readonly credentials?: CredentialStore | undefined;
  /** Allow plain HTTP to any registry and accept untrusted TLS certificates. */
  readonly insecure?: boolean | undefined;
  /**
   * Use plain HTTP without trying HTTPS first. Only loopback registries may, unless `insecure`
   * is set; otherwise requests fail with INSECURE_REFUSED before any connection is made.
   */
  readonly plainHttp?: boolean | undefined;
  readonly logger?: Logger | undefined;
  /** Idle time on a connection (connect, headers, between body chunks) before TIMEOUT. Default 30 s. */
  readonly timeoutMs?: number | undefined;
  /** Retries after the first attempt for throttling, 5xx, resets and timeouts. Default 4. */
  readonly retries?: number | undefined;
  /** Backoff tuning; tests shorten it. Default: first delay 250 ms, ceiling (also for Retry-After) 30 s. */
  readonly retryDelayMs?:
    { readonly base?: number | undefined; readonly max?: number | undefined } | undefined;
  readonly userAgent?: string | undefined;
  readonly limits?: Partial<Limits> | undefined;
};

export type GetManifestOptions = {
  /** Media types to accept; defaults to every manifest and index type we can read. */
  readonly accept?: readonly string[] | undefined;
};

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_USER_AGENT = 'portcullis';

/**
 * A client for registries speaking the OCI distribution spec v1.1 or Docker Registry HTTP API
 * v2: pull (manifests, verified blobs with resume), push (blobs, manifests, referrers), tag
 * listing and referrers discovery, with Basic and bearer-token authentication.
 */
export class RegistryClient {
  private readonly ctx: RegistryContext;
  private readonly transport: RegistryTransport;

  constructor(options: RegistryClientOptions = {}) {
    const logger = options.logger ?? silentLogger;
    const retry: RetryPolicy = {
      retries: Math.max(0, options.retries ?? DEFAULT_RETRY_POLICY.retries),
      baseDelayMs: options.retryDelayMs?.base ?? DEFAULT_RETRY_POLICY.baseDelayMs,
      maxDelayMs: options.retryDelayMs?.max ?? DEFAULT_RETRY_POLICY.maxDelayMs,
    };
    this.transport = new RegistryTransport({
      credentials: options.credentials,
      insecure: options.insecure ?? false,
      plainHttp: options.plainHttp ?? false,
      logger,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
    });
    this.ctx = { transport: this.transport, limits: resolveLimits(options.limits), logger, retry };
  }

  /** The limits in force (manifest size cap and friends). */
  get limits(): Limits {
    return this.ctx.limits;
  }

  /**
   * Fetches a manifest or index by tag or digest (tag `latest` when the reference has neither),
   * verified against the reference's digest and the registry's Docker-Content-Digest.
   * @throws OciError MANIFEST_UNKNOWN, MANIFEST_TOO_LARGE, MANIFEST_UNSUPPORTED (Docker schema 1),
   *   MANIFEST_INVALID, UNAUTHORIZED, DENIED, INSECURE_REFUSED, TIMEOUT, REGISTRY_UNREACHABLE.
   */
  getManifest(ref: ImageRef, opts: GetManifestOptions = {}): Promise<FetchedManifest> {
    return getManifest(this.ctx, ref, opts.accept);
  }

  /** Digest, media type and size of a manifest, or undefined when there is none. @throws OciError as getManifest, except for 404. */
  headManifest(ref: ImageRef, opts: GetManifestOptions = {}): Promise<ManifestHead | undefined> {
    return headManifest(this.ctx, ref, opts.accept);
  }

  /**
   * Opens a blob as a stream verified against its digest and size; interrupted downloads resume
   * with Range requests. @throws OciError BLOB_UNKNOWN and transport errors; the stream fails
   * with CoreError DIGEST_MISMATCH / SIZE_MISMATCH on bad content.
   */
  openBlob(repo: RepositoryRef, desc: BlobDescriptor): Promise<Readable> {
    return openBlob(this.ctx, repo, desc);
  }

  /** Reads a small verified blob into memory. @throws OciError LIMIT_EXCEEDED beyond `maxBytes`, plus openBlob's errors. */
  fetchBlob(repo: RepositoryRef, desc: BlobDescriptor, maxBytes: number): Promise<Buffer> {
    return fetchBlob(this.ctx, repo, desc, maxBytes);
  }

  /** Whether the repository has a blob. @throws OciError for answers other than found / not found. */
  blobExists(repo: RepositoryRef, digest: Digest): Promise<boolean> {
    return blobExists(this.ctx, repo, digest);
  }

  /**
   * Uploads a blob unless present (mount, monolithic or chunked). `source` is called once per
   * attempt. @throws OciError on refusal; CoreError DIGEST_MISMATCH / SIZE_MISMATCH for a wrong source.
   */
  pushBlob(
    repo: RepositoryRef,
    desc: { readonly digest: Digest | string; readonly size: number },
    source: () => Readable | Buffer,
    opts?: PushBlobOptions,
  ): Promise<PushBlobResult> {
    return pushBlob(this.ctx, repo, desc, source, opts);
  }

  /**
   * Pushes a manifest by tag or digest, maintaining the referrers tag index for manifests with a
   * subject on registries without the referrers API. @throws OciError MANIFEST_TOO_LARGE,
   * MANIFEST_INVALID, DENIED, UNAUTHORIZED and transport errors.
   */
  putManifest(ref: ImageRef, bytes: Buffer, mediaType: string): Promise<Digest> {
    return putManifest(this.ctx, ref, bytes, mediaType);
  }

  /** All tags of a repository, following pagination. @throws OciError MANIFEST_UNKNOWN for an unknown repository. */
  listTags(repo: RepositoryRef, opts: { readonly pageSize?: number | undefined } = {}): Promise<string[]> {
    return listTags(this.ctx, repo, opts);
  }

  /**
   * Manifests that refer to `digest` (referrers API, else the referrers tag schema), optionally
   * only those of one artifact type. @throws OciError on registry failures.
   */
  getReferrers(
    repo: RepositoryRef,
    digest: Digest,
    opts: { readonly artifactType?: string | undefined } = {},
  ): Promise<ImageIndex> {
    return getReferrers(this.ctx, repo, digest, opts);
  }

  /** Closes pooled connections; the client must not be used afterwards. */
  close(): void {
    this.transport.close();
  }
}
