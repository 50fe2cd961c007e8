import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  digestOf,
  isPortcullisError,
  tryParseDigest,
  truncateForMessage,
  type Digest,
  type Logger,
} from '../../core/index.js';
import { isValidTag } from '../../imageref/index.js';
import { MediaType } from '../../oci/index.js';
import { RegistryError } from '../errors.js';
import { checkManifest, MAX_MANIFEST_BYTES } from '../manifest.js';
import type { ManifestRecord, MetadataStore } from '../metadata/metadata-store.js';
import type { BlobStore, UploadStatus } from '../storage/blob-store.js';
import {
  catalogFilter,
  checkRegistryRequest,
  handleTokenRequest,
  sendDenial,
  type RegistryAuthConfig,
} from './auth.js';
import { actorOfIdentity, auditDenial, auditRequest, registerAuditApi, type AuditActor } from './audit.js';
import { ERROR_RESPONSES, type ErrorBody } from './errors.js';
import type { RegistryHooks } from './hooks.js';
import { checkName, matchRoute, splitUrl } from './paths.js';

/** What the distribution routes work on. */
export type RegistryRoutesOptions = {
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
  readonly logger?: Logger | undefined;
  /** Authentication and authorization; without it every request is allowed (tests, loopback tools). */
  readonly auth?: RegistryAuthConfig | undefined;
  /** Gates and push notifications from the server layer (pull gates, immutable tags, scan-on-push). */
  readonly hooks?: RegistryHooks | undefined;
};

/** Keeps the repositories of a catalog page the caller may see. */
type CatalogFilter = (repositories: readonly string[]) => Promise<string[]>;

const MAX_URL_LENGTH = 8192;
const CATALOG_BATCH = 1000;
const OCTET_STREAM = 'application/octet-stream';
const JSON_TYPE = 'application/json';

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * A manifest reference: a digest when it has a colon (which no tag can), else a tag.
 * @throws RegistryError DIGEST_INVALID or TAG_INVALID.
 */
function parseReference(
  reference: string,
): { digest: Digest; tag?: undefined } | { digest?: undefined; tag: string } {
  const ref = decodeSegment(reference);
  if (ref.includes(':')) return { digest: checkDigest(ref) };
  if (!isValidTag(ref)) {
    throw new RegistryError(
      'TAG_INVALID',
      `invalid tag "${truncateForMessage(ref, 100)}": expected [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`,
    );
  }
  return { tag: ref };
}

function checkDigest(s: string, what = 'digest'): Digest {
  const d = tryParseDigest(decodeSegment(s));
  if (d === undefined) {
    throw new RegistryError(
      'DIGEST_INVALID',
      `invalid ${what} "${truncateForMessage(s, 100)}": expected sha256:<64 hex> or sha512:<128 hex>`,
    );
  }
  return d;
}

function parseCount(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) {
    throw new RegistryError(
      'UNSUPPORTED',
      `n must be a non-negative whole number, got "${truncateForMessage(value, 20)}"`,
    );
  }
  return Number(value);
}

function param(q: URLSearchParams, name: string): string | undefined {
  return q.get(name) ?? undefined;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function uploadHeaders(reply: FastifyReply, name: string, status: UploadStatus): void {
  void reply
    .header('location', `/v2/${name}/blobs/uploads/${status.id}`)
    // Inclusive end; "0-0" for an empty session, as distribution does and clients expect.
    .header('range', `0-${Math.max(status.size - 1, 0)}`)
    .header('docker-upload-uuid', status.id)
    .header('content-length', '0');
}

function blobCreated(reply: FastifyReply, name: string, digest: Digest): FastifyReply {
  return reply
    .code(201)
    .header('location', `/v2/${name}/blobs/${digest}`)
    .header('docker-content-digest', digest)
    .header('content-length', '0')
    .send();
}

/** `Content-Range: <start>-<end>` of a chunk (spec form, with "bytes " tolerated). */
function parseContentRange(value: string | undefined): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?$/.exec(value.trim());
  if (!m) {
    throw new RegistryError(
      'RANGE_INVALID',
      `invalid Content-Range "${truncateForMessage(value, 60)}": expected <start>-<end>`,
    );
  }
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start)
    throw new RegistryError('RANGE_INVALID', `Content-Range ${start}-${end} ends before it starts`);
  return { start, end };
}

/** `Range: bytes=start-end` / `bytes=start-` / `bytes=-suffix` against a blob of `size` bytes. */
function parseRange(value: string, size: number): { start: number; end: number } {
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(value.trim());
  const bad = () =>
    new RegistryError(
      'RANGE_INVALID',
      `unsatisfiable Range "${truncateForMessage(value, 60)}" for ${size} bytes`,
    );
  if (!m || (m[1] === '' && m[2] === '')) throw bad();
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    start = Math.max(size - suffix, 0);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) throw bad();
  return { start, end };
}

async function readBounded(stream: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > max) {
      stream.resume();
      throw new RegistryError('MANIFEST_TOO_LARGE', `the manifest is larger than ${max} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function acceptable(req: FastifyRequest, mediaType: string): boolean {
  const accept = header(req, 'accept');
  if (accept === undefined || accept.trim() === '') return true;
  const types = accept.split(',').map((t) => t.split(';')[0]?.trim() ?? '');
  // Clients that list no manifest type at all (curl's */*, a bare JSON accept) get what is stored.
  if (types.some((t) => t === '*/*' || t === mediaType)) return true;
  return !types.some(
    (t) => t.startsWith('application/vnd.oci.image.') || t.startsWith('application/vnd.docker.distribution.'),
  );
}

class Handlers {
  readonly #blobs: BlobStore;
  readonly #meta: MetadataStore;

  constructor(opts: RegistryRoutesOptions) {
    this.#blobs = opts.blobs;
    this.#meta = opts.metadata;
  }

  async dispatch(req: FastifyRequest, reply: FastifyReply, filter?: CatalogFilter): Promise<FastifyReply> {
    if (req.url.length > MAX_URL_LENGTH)
      throw new RegistryError('NAME_INVALID', 'the request URL is too long');
    const { pathname, query: q } = splitUrl(req.url);
    const route = matchRoute(pathname);
    const method = req.method;
    if (route === undefined)
      throw new RegistryError(
        'UNSUPPORTED',
        `no such endpoint: ${method} ${truncateForMessage(pathname, 100)}`,
      );
    switch (route.kind) {
      case 'ping':
        if (method !== 'GET' && method !== 'HEAD') break;
        return reply.code(200).type(JSON_TYPE).send('{}');
      case 'catalog':
        if (method !== 'GET') break;
        return this.catalog(reply, q, filter);
      case 'tags':
        if (method !== 'GET') break;
        return this.tags(reply, checkName(route.name), q);
      case 'manifest': {
        const name = checkName(route.name);
        if (method === 'GET' || method === 'HEAD') return this.getManifest(req, reply, name, route.reference);
        if (method === 'PUT') return this.putManifest(req, reply, name, route.reference, q);
        if (method === 'DELETE') return this.deleteManifest(reply, name, route.reference);
        break;
      }
      case 'blob': {
        const name = checkName(route.name);
        if (method === 'GET' || method === 'HEAD')
          return this.getBlob(req, reply, name, checkDigest(route.digest));
        if (method === 'DELETE') return this.deleteBlob(reply, name, checkDigest(route.digest));
        break;
      }
      case 'uploads': {
        const name = checkName(route.name);
        if (route.id === '') {
          if (method === 'POST') return this.startUpload(req, reply, name, q);
          break;
        }
        if (method === 'PATCH') return this.patchUpload(req, reply, name, route.id);
        if (method === 'PUT') return this.putUpload(req, reply, name, route.id, q);
        if (method === 'GET') return this.uploadStatus(reply, name, route.id);
        if (method === 'DELETE') {
          await this.#blobs.cancelUpload(name, route.id);
          return reply.code(204).send();
        }
        break;
      }
      case 'referrers':
        if (method !== 'GET') break;
        return this.referrers(reply, checkName(route.name), checkDigest(route.digest), q);
    }
    throw new RegistryError(
      'UNSUPPORTED',
      `${method} is not supported on ${truncateForMessage(pathname, 100)}`,
    );
  }

  async catalog(reply: FastifyReply, q: URLSearchParams, filter?: CatalogFilter): Promise<FastifyReply> {
    const n = parseCount(param(q, 'n'));
    let last = param(q, 'last');
    const want = n === undefined ? undefined : n + 1;
    let page: string[];
    if (filter === undefined) {
      page = await this.#meta.listRepositories({ n: want, last });
    } else {
      // Filtered: read in batches until a page (plus one, to know there is more) is visible.
      page = [];
      for (;;) {
        const batch = await this.#meta.listRepositories({ n: CATALOG_BATCH, last });
        page.push(...(await filter(batch)));
        if (batch.length < CATALOG_BATCH || (want !== undefined && page.length >= want)) break;
        last = batch[batch.length - 1];
      }
      if (want !== undefined) page = page.slice(0, want);
    }
    const shown = n === undefined ? page : page.slice(0, n);
    if (n !== undefined && page.length > n && shown.length > 0) {
      const next = shown[shown.length - 1] ?? '';
      void reply.header('link', `</v2/_catalog?n=${n}&last=${encodeURIComponent(next)}>; rel="next"`);
    }
    return reply.type(JSON_TYPE).send({ repositories: shown });
  }

  async tags(reply: FastifyReply, name: string, q: URLSearchParams): Promise<FastifyReply> {
    if (!(await this.#meta.hasRepository(name))) throw unknownName(name);
    const n = parseCount(param(q, 'n'));
    const last = param(q, 'last');
    const page = await this.#meta.listTags(name, { n: n === undefined ? undefined : n + 1, last });
    const shown = n === undefined ? page : page.slice(0, n);
    if (n !== undefined && page.length > n && shown.length > 0) {
      const next = shown[shown.length - 1] ?? '';
      void reply.header(
        'link',
        `</v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(next)}>; rel="next"`,
      );
    }
    return reply.type(JSON_TYPE).send({ name, tags: shown });
  }

  async #resolve(name: string, reference: string): Promise<ManifestRecord> {
    const ref = parseReference(reference);
    const digest = ref.digest ?? (await this.#meta.resolveTag(name, ref.tag));
    const record = digest === undefined ? undefined : await this.#meta.getManifest(name, digest);
    if (record === undefined) {
      if (!(await this.#meta.hasRepository(name))) throw unknownName(name);
      throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${ref.digest ?? ref.tag} is not in ${name}`);
    }
    return record;
  }

  async getManifest(
    req: FastifyRequest,
    reply: FastifyReply,
    name: string,
    reference: string,
  ): Promise<FastifyReply> {
    const record = await this.#resolve(name, reference);
    if (!acceptable(req, record.mediaType)) {
      throw new RegistryError(
        'MANIFEST_UNKNOWN',
        `manifest ${truncateForMessage(reference, 100)} is a ${record.mediaType}, which the request's Accept header does not list`,
      );
    }
    void reply
      .code(200)
      .header('content-type', record.mediaType)
      .header('docker-content-digest', record.digest)
      .header('etag', `"${record.digest}"`)
      .header('content-length', String(record.size));
    if (req.method === 'HEAD') return reply.send();
    return reply.send(await this.#blobs.open(record.digest));
  }

  async putManifest(
    req: FastifyRequest,
    reply: FastifyReply,
    name: string,
    reference: string,
    q: URLSearchParams,
  ): Promise<FastifyReply> {
    const ref = parseReference(reference);
    const byDigest = ref.digest;
    // `?tag=` on a push by digest tags it in the same step (distribution spec main, end-7b).
    const tags = byDigest === undefined ? [ref.tag] : q.getAll('tag').map((t) => parseReference(t).tag ?? '');
    if (tags.some((t) => t === ''))
      throw new RegistryError('TAG_INVALID', 'a ?tag= parameter holds a digest, not a tag');
    const length = Number(header(req, 'content-length') ?? '0');
    if (length > MAX_MANIFEST_BYTES) {
      req.raw.resume();
      throw new RegistryError(
        'MANIFEST_TOO_LARGE',
        `the manifest is ${length} bytes, more than the ${MAX_MANIFEST_BYTES} accepted`,
      );
    }
    const bytes = await readBounded(req.raw, MAX_MANIFEST_BYTES);
    const checked = checkManifest(bytes, header(req, 'content-type'));
    const digest = digestOf(
      bytes,
      byDigest === undefined ? 'sha256' : (byDigest.slice(0, 6) as 'sha256' | 'sha512'),
    );
    if (byDigest !== undefined && byDigest !== digest) {
      throw new RegistryError(
        'DIGEST_INVALID',
        `the manifest hashes to ${digest}, not to ${byDigest} named in the URL`,
      );
    }
    const missingBlobs: Digest[] = [];
    for (const b of checked.blobs) {
      if (!(await this.#meta.hasBlobLink(name, b)) || (await this.#blobs.stat(b)) === undefined)
        missingBlobs.push(b);
    }
    if (missingBlobs.length > 0) {
      throw new RegistryError(
        'MANIFEST_BLOB_UNKNOWN',
        `the manifest references blobs not in ${name}: ${missingBlobs.slice(0, 5).join(', ')}${missingBlobs.length > 5 ? ', ...' : ''}`,
      );
    }
    for (const m of checked.manifests) {
      if ((await this.#meta.getManifest(name, m)) === undefined) {
        throw new RegistryError(
          'MANIFEST_UNKNOWN',
          `the index references manifest ${m}, which is not in ${name}`,
        );
      }
    }
    await this.#blobs.put(digest, Readable.from([bytes]), bytes.length);
    await this.#meta.linkBlob(name, digest);
    await this.#meta.putManifest(
      name,
      {
        digest,
        mediaType: checked.mediaType,
        size: bytes.length,
        subject: checked.subject,
        artifactType: checked.artifactType,
        configMediaType: checked.configMediaType,
        annotations: checked.annotations,
      },
      tags,
    );
    if (checked.subject !== undefined) void reply.header('oci-subject', checked.subject);
    if (byDigest !== undefined && tags.length > 0) void reply.header('oci-tag', tags);
    return reply
      .code(201)
      .header('location', `/v2/${name}/manifests/${digest}`)
      .header('docker-content-digest', digest)
      .header('content-length', '0')
      .send();
  }

  async deleteManifest(reply: FastifyReply, name: string, reference: string): Promise<FastifyReply> {
    const ref = parseReference(reference);
    const deleted =
      ref.digest === undefined
        ? await this.#meta.deleteTag(name, ref.tag)
        : await this.#meta.deleteManifest(name, ref.digest);
    if (!deleted) {
      if (!(await this.#meta.hasRepository(name))) throw unknownName(name);
      throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${ref.digest ?? ref.tag} is not in ${name}`);
    }
    return reply.code(202).send();
  }

  async getBlob(
    req: FastifyRequest,
    reply: FastifyReply,
    name: string,
    digest: Digest,
  ): Promise<FastifyReply> {
    const info = (await this.#meta.hasBlobLink(name, digest)) ? await this.#blobs.stat(digest) : undefined;
    if (info === undefined) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not in ${name}`);
    void reply.header('docker-content-digest', digest).header('accept-ranges', 'bytes').type(OCTET_STREAM);
    const rangeHeader = header(req, 'range');
    if (rangeHeader !== undefined && req.method === 'GET') {
      const range = parseRange(rangeHeader, info.size);
      return reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${info.size}`)
        .header('content-length', String(range.end - range.start + 1))
        .send(await this.#blobs.open(digest, range));
    }
    void reply.code(200).header('content-length', String(info.size));
    if (req.method === 'HEAD') return reply.send();
    return reply.send(await this.#blobs.open(digest));
  }

  async deleteBlob(reply: FastifyReply, name: string, digest: Digest): Promise<FastifyReply> {
    // Only the link goes; the bytes are garbage collection's business (other repositories may share them).
    if (!(await this.#meta.unlinkBlob(name, digest))) {
      throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not in ${name}`);
    }
    return reply.code(202).header('content-length', '0').send();
  }

  async startUpload(
    req: FastifyRequest,
    reply: FastifyReply,
    name: string,
    q: URLSearchParams,
  ): Promise<FastifyReply> {
    const mount = param(q, 'mount');
    const from = param(q, 'from');
    if (mount !== undefined && from !== undefined) {
      const digest = checkDigest(mount, 'mount digest');
      const source = checkName(from);
      if ((await this.#meta.hasBlobLink(source, digest)) && (await this.#blobs.stat(digest)) !== undefined) {
        req.raw.resume();
        await this.#meta.linkBlob(name, digest);
        return blobCreated(reply, name, digest);
      }
      // Not mountable: the spec says to fall back to an ordinary upload session.
    }
    const monolithic = param(q, 'digest');
    if (monolithic !== undefined) {
      const digest = checkDigest(monolithic);
      const length = header(req, 'content-length');
      await this.#blobs.put(digest, req.raw, length === undefined ? undefined : Number(length));
      await this.#meta.linkBlob(name, digest);
      return blobCreated(reply, name, digest);
    }
    req.raw.resume();
    const status = await this.#blobs.startUpload(name);
    uploadHeaders(reply, name, status);
    return reply.code(202).send();
  }

  async patchUpload(
    req: FastifyRequest,
    reply: FastifyReply,
    name: string,
    id: string,
  ): Promise<FastifyReply> {
    const range = parseContentRange(header(req, 'content-range'));
    const length = header(req, 'content-length');
    if (range !== undefined && length !== undefined && Number(length) !== range.end - range.start + 1) {
      req.raw.resume();
      throw new RegistryError(
        'RANGE_INVALID',
        `Content-Range ${range.start}-${range.end} does not match Content-Length ${truncateForMessage(length, 20)}`,
      );
    }
    const status = await this.#blobs.appendUpload(name, id, req.raw, range?.start);
    uploadHeaders(reply, name, status);
    return reply.code(202).send();
  }

  async putUpload(
    req: FastifyRequest,
    reply: FastifyReply,
    name: string,
    id: string,
    q: URLSearchParams,
  ): Promise<FastifyReply> {
    const digestParam = param(q, 'digest');
    if (digestParam === undefined) {
      req.raw.resume();
      throw new RegistryError('DIGEST_INVALID', 'completing an upload needs ?digest=<digest>');
    }
    const digest = checkDigest(digestParam);
    const length = Number(header(req, 'content-length') ?? '0');
    const range = parseContentRange(header(req, 'content-range'));
    if (length > 0 || header(req, 'transfer-encoding') !== undefined) {
      await this.#blobs.appendUpload(name, id, req.raw, range?.start);
    } else {
      req.raw.resume();
    }
    await this.#blobs.commitUpload(name, id, digest);
    await this.#meta.linkBlob(name, digest);
    return blobCreated(reply, name, digest);
  }

  async uploadStatus(reply: FastifyReply, name: string, id: string): Promise<FastifyReply> {
    const status = await this.#blobs.uploadStatus(name, id);
    uploadHeaders(reply, name, status);
    return reply.code(204).send();
  }

  async referrers(
    reply: FastifyReply,
    name: string,
    subject: Digest,
    q: URLSearchParams,
  ): Promise<FastifyReply> {
    const artifactType = param(q, 'artifactType');
    const records = await this.#meta.listReferrers(name, subject, artifactType);
    if (artifactType !== undefined) void reply.header('oci-filters-applied', 'artifactType');
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: records.map((r) => ({
        mediaType: r.mediaType,
        digest: r.digest,
        size: r.size,
        ...(r.artifactType !== undefined ? { artifactType: r.artifactType } : {}),
        ...(r.annotations !== undefined ? { annotations: r.annotations } : {}),
      })),
    };
    // A Buffer, so fastify does not append a charset to the spec's media type.
    return reply
      .code(200)
      .header('content-type', MediaType.ociIndex)
      .send(Buffer.from(JSON.stringify(index)));
  }
}

function unknownName(name: string): RegistryError {
  return new RegistryError('NAME_UNKNOWN', `repository ${name} is not known to this registry`);
}

/** The spec's error body and status for anything a handler throws. */
export function errorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (isPortcullisError(err) && err instanceof RegistryError) {
    const r = ERROR_RESPONSES[err.code];
    // Internal failures say no more than that: paths and errno texts stay in the log.
    const message = r.status >= 500 ? 'internal storage error' : err.message;
    return { status: r.status, body: { errors: [{ code: r.code, message }] } };
  }
  return { status: 500, body: { errors: [{ code: 'UNKNOWN', message: 'internal error' }] } };
}

/**
 * Registers the OCI distribution v1.1 endpoints under `/v2/` on `app`. Request bodies reach
 * the handlers as raw streams (blobs are streamed to disk, never buffered).
 */
export function registerDistributionRoutes(app: FastifyInstance, opts: RegistryRoutesOptions): void {
  const handlers = new Handlers(opts);
  app.removeAllContentTypeParsers();
  // Leave every body unread: the handlers take req.raw.
  app.addContentTypeParser('*', () => Promise.resolve(undefined));
  const auth = opts.auth;
  const serve = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    void reply.header('docker-distribution-api-version', 'registry/2.0');
    // Set once the request is allowed: the audit record written when it is answered.
    let actor: AuditActor | undefined;
    let failure: string | undefined;
    try {
      if (req.url.length > MAX_URL_LENGTH)
        throw new RegistryError('NAME_INVALID', 'the request URL is too long');
      let filter: CatalogFilter | undefined;
      if (auth !== undefined) {
        const check = await checkRegistryRequest(auth, req, opts.logger);
        if (!check.allowed) {
          req.raw.resume();
          if (check.event !== undefined)
            auditDenial(auth.audit, req, check.event, check.denial.status, opts.logger);
          return await sendDenial(reply, check.denial);
        }
        actor = actorOfIdentity(check.identity);
        filter = await catalogFilter(auth, check.identity);
      }
      return await handlers.dispatch(req, reply, filter);
    } catch (err) {
      const { status, body } = errorResponse(err);
      failure = body.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
      if (status >= 500)
        opts.logger?.warn(`registry request failed: ${err instanceof Error ? err.message : String(err)}`);
      req.raw.resume();
      return await reply.code(status).type(JSON_TYPE).send(JSON.stringify(body));
    } finally {
      if (actor !== undefined) auditRequest(auth?.audit, req, reply, actor, failure, opts.logger);
    }
  };
  app.route({ method: ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'], url: '/v2/*', handler: serve });
  app.route({ method: ['GET', 'HEAD'], url: '/v2', handler: serve });
  if (auth !== undefined) {
    app.route({
      method: 'GET',
      url: '/token',
      handler: async (req, reply) => await handleTokenRequest(auth, req, reply, opts.logger),
    });
    if (auth.audit !== undefined) {
      registerAuditApi(app, {
        audit: auth.audit,
        store: auth.store,
        verifier: auth.verifier,
        logger: opts.logger,
      });
    }
  }
}
