import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Digest } from '../../core/index.js';
import { RegistryError } from '../errors.js';
import type { RegistryRoutesOptions } from './options.js';
import { header, parseRange } from './parse.js';

const OCTET_STREAM = 'application/octet-stream';

/** `GET`/`HEAD /v2/<name>/blobs/<digest>`, with single ranges. */
export async function getBlob(
  opts: RegistryRoutesOptions,
  req: FastifyRequest,
  reply: FastifyReply,
  name: string,
  digest: Digest,
): Promise<FastifyReply> {
  const info = (await opts.metadata.hasBlobLink(name, digest)) ? await opts.blobs.stat(digest) : undefined;
  if (info === undefined) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not in ${name}`);
  void reply.header('docker-content-digest', digest).header('accept-ranges', 'bytes').type(OCTET_STREAM);
  const rangeHeader = header(req, 'range');
  if (rangeHeader !== undefined && req.method === 'GET') {
    const range = parseRange(rangeHeader, info.size);
    return reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${info.size}`)
      .header('content-length', String(range.end - range.start + 1))
      .send(await opts.blobs.open(digest, range));
  }
  void reply.code(200).header('content-length', String(info.size));
  if (req.method === 'HEAD') return reply.send();
  return reply.send(await opts.blobs.open(digest));
}

/** `DELETE /v2/<name>/blobs/<digest>`. */
export async function deleteBlob(
  opts: RegistryRoutesOptions,
  reply: FastifyReply,
  name: string,
  digest: Digest,
): Promise<FastifyReply> {
  // Only the link goes; the bytes are garbage collection's business (other repositories may share them).
  if (!(await opts.metadata.unlinkBlob(name, digest))) {
    throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not in ${name}`);
  }
  return reply.code(202).header('content-length', '0').send();
}
