import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { digestOf, truncateForMessage, type Digest } from '../../core/index.js';
import { RegistryError } from '../errors.js';
import { checkManifest, MAX_MANIFEST_BYTES } from '../manifest.js';
import type { ManifestRecord } from '../metadata/metadata-store.js';
import { checkTagChanges, enforce, notifyPushed, tagsPointingAt } from './gating.js';
import type { HookActor } from './hooks.js';
import type { RegistryRoutesOptions } from './options.js';
import { acceptable, header, parseReference, readBounded, unknownName } from './parse.js';

/** parseReference for lookups: undefined for a reference that is neither a tag nor a digest. */
function tryParseReference(reference: string): ReturnType<typeof parseReference> | undefined {
  try {
    return parseReference(reference);
  } catch (err) {
    if (err instanceof RegistryError && err.code === 'TAG_INVALID') return undefined;
    throw err;
  }
}

async function resolve(
  opts: RegistryRoutesOptions,
  name: string,
  reference: string,
): Promise<ManifestRecord> {
  const ref = tryParseReference(reference);
  // A reference no tag could match names no manifest here: 404, as for any missing manifest
  // (the conformance suite's nonexistent manifest is the malformed tag ".INVALID_MANIFEST_NAME").
  if (ref === undefined) {
    if (!(await opts.metadata.hasRepository(name))) throw unknownName(name);
    throw new RegistryError(
      'MANIFEST_UNKNOWN',
      `manifest ${truncateForMessage(reference, 100)} is not in ${name}`,
    );
  }
  const digest = ref.digest ?? (await opts.metadata.resolveTag(name, ref.tag));
  const record = digest === undefined ? undefined : await opts.metadata.getManifest(name, digest);
  if (record === undefined) {
    if (!(await opts.metadata.hasRepository(name))) throw unknownName(name);
    throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${ref.digest ?? ref.tag} is not in ${name}`);
  }
  return record;
}

/** `GET`/`HEAD /v2/<name>/manifests/<reference>`. */
export async function getManifest(
  opts: RegistryRoutesOptions,
  req: FastifyRequest,
  reply: FastifyReply,
  name: string,
  reference: string,
  actor: HookActor | undefined,
): Promise<FastifyReply> {
  const record = await resolve(opts, name, reference);
  const checkPull = opts.hooks?.checkPull;
  if (checkPull !== undefined)
    enforce(
      await checkPull({ method: req.method === 'HEAD' ? 'HEAD' : 'GET', repository: name, record, actor }),
    );
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
  return reply.send(await opts.blobs.open(record.digest));
}

/** `PUT /v2/<name>/manifests/<reference>`, with `?tag=` on a push by digest. */
export async function putManifest(
  opts: RegistryRoutesOptions,
  req: FastifyRequest,
  reply: FastifyReply,
  name: string,
  reference: string,
  q: URLSearchParams,
  actor: HookActor | undefined,
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
    if (!(await opts.metadata.hasBlobLink(name, b)) || (await opts.blobs.stat(b)) === undefined)
      missingBlobs.push(b);
  }
  if (missingBlobs.length > 0) {
    throw new RegistryError(
      'MANIFEST_BLOB_UNKNOWN',
      `the manifest references blobs not in ${name}: ${missingBlobs.slice(0, 5).join(', ')}${missingBlobs.length > 5 ? ', ...' : ''}`,
    );
  }
  for (const m of checked.manifests) {
    if ((await opts.metadata.getManifest(name, m)) === undefined) {
      throw new RegistryError(
        'MANIFEST_UNKNOWN',
        `the index references manifest ${m}, which is not in ${name}`,
      );
    }
  }
  // Immutable tags: asked before anything is stored, so a refused push leaves no trace.
  await checkTagChanges(opts.hooks, opts.metadata, name, tags, digest, actor);
  await opts.blobs.put(digest, Readable.from([bytes]), bytes.length);
  await opts.metadata.linkBlob(name, digest);
  const record: ManifestRecord = {
    digest,
    mediaType: checked.mediaType,
    size: bytes.length,
    subject: checked.subject,
    artifactType: checked.artifactType,
    configMediaType: checked.configMediaType,
    annotations: checked.annotations,
  };
  // The blobs are checked again inside the metadata transaction: a garbage collection that
  // released one of them after the check above makes this push fail instead of dangling.
  await opts.metadata.putManifest(name, record, tags, [...checked.blobs, digest]);
  notifyPushed(opts.hooks, { repository: name, record, tags, actor }, opts.logger);
  if (checked.subject !== undefined) void reply.header('oci-subject', checked.subject);
  if (byDigest !== undefined && tags.length > 0) void reply.header('oci-tag', tags);
  return reply
    .code(201)
    .header('location', `/v2/${name}/manifests/${digest}`)
    .header('docker-content-digest', digest)
    .header('content-length', '0')
    .send();
}

/** `DELETE /v2/<name>/manifests/<reference>`: a tag, or a manifest by digest. */
export async function deleteManifest(
  opts: RegistryRoutesOptions,
  reply: FastifyReply,
  name: string,
  reference: string,
  actor: HookActor | undefined,
): Promise<FastifyReply> {
  const ref = parseReference(reference);
  if (opts.hooks?.checkTagChange !== undefined) {
    // Deleting a manifest by digest takes its tags with it: each is asked about.
    const tags = ref.digest === undefined ? [ref.tag] : await tagsPointingAt(opts.metadata, name, ref.digest);
    await checkTagChanges(opts.hooks, opts.metadata, name, tags, undefined, actor);
  }
  const deleted =
    ref.digest === undefined
      ? await opts.metadata.deleteTag(name, ref.tag)
      : await opts.metadata.deleteManifest(name, ref.digest);
  if (!deleted) {
    if (!(await opts.metadata.hasRepository(name))) throw unknownName(name);
    throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${ref.digest ?? ref.tag} is not in ${name}`);
  }
  return reply.code(202).send();
}
