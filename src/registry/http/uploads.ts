import type { FastifyReply, FastifyRequest } from 'fastify';
import { truncateForMessage, type Digest } from '../../core/index.js';
import { RegistryError } from '../errors.js';
import type { UploadStatus } from '../storage/blob-store.js';
import type { RegistryRoutesOptions } from './options.js';
import { checkDigest, header, param, parseContentRange } from './parse.js';
import { checkName } from './paths.js';

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

/** `POST /v2/<name>/blobs/uploads/`: a session, a cross-repository mount, or a monolithic upload. */
export async function startUpload(
  opts: RegistryRoutesOptions,
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
    if ((await opts.metadata.hasBlobLink(source, digest)) && (await opts.blobs.stat(digest)) !== undefined) {
      req.raw.resume();
      await opts.metadata.linkBlob(name, digest);
      return blobCreated(reply, name, digest);
    }
    // Not mountable: the spec says to fall back to an ordinary upload session.
  }
  const monolithic = param(q, 'digest');
  if (monolithic !== undefined) {
    const digest = checkDigest(monolithic);
    const length = header(req, 'content-length');
    await opts.blobs.put(digest, req.raw, length === undefined ? undefined : Number(length));
    await opts.metadata.linkBlob(name, digest);
    return blobCreated(reply, name, digest);
  }
  req.raw.resume();
  const status = await opts.blobs.startUpload(name);
  uploadHeaders(reply, name, status);
  return reply.code(202).send();
}

/** `PATCH /v2/<name>/blobs/uploads/<id>`: a chunk. */
export async function patchUpload(
  opts: RegistryRoutesOptions,
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
  const status = await opts.blobs.appendUpload(name, id, req.raw, range?.start);
  uploadHeaders(reply, name, status);
  return reply.code(202).send();
}

/** `PUT /v2/<name>/blobs/uploads/<id>?digest=`: the last chunk, if any, and the commit. */
export async function putUpload(
  opts: RegistryRoutesOptions,
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
    await opts.blobs.appendUpload(name, id, req.raw, range?.start);
  } else {
    req.raw.resume();
  }
  await opts.blobs.commitUpload(name, id, digest);
  await opts.metadata.linkBlob(name, digest);
  return blobCreated(reply, name, digest);
}

/** `GET /v2/<name>/blobs/uploads/<id>`: where the session stands. */
export async function uploadStatus(
  opts: RegistryRoutesOptions,
  reply: FastifyReply,
  name: string,
  id: string,
): Promise<FastifyReply> {
  const status = await opts.blobs.uploadStatus(name, id);
  uploadHeaders(reply, name, status);
  return reply.code(204).send();
}

/** `DELETE /v2/<name>/blobs/uploads/<id>`: abandons the session. */
export async function cancelUpload(
  opts: RegistryRoutesOptions,
  reply: FastifyReply,
  name: string,
  id: string,
): Promise<FastifyReply> {
  await opts.blobs.cancelUpload(name, id);
  return reply.code(204).send();
}
