import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { tryParseDigest, truncateForMessage, type Digest } from '../../core/index.js';
import { isValidTag } from '../../imageref/index.js';
import { RegistryError } from '../errors.js';

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
export function parseReference(
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

/**
 * A digest from a path segment or query parameter.
 * @throws RegistryError DIGEST_INVALID.
 */
export function checkDigest(s: string, what = 'digest'): Digest {
  const d = tryParseDigest(decodeSegment(s));
  if (d === undefined) {
    throw new RegistryError(
      'DIGEST_INVALID',
      `invalid ${what} "${truncateForMessage(s, 100)}": expected sha256:<64 hex> or sha512:<128 hex>`,
    );
  }
  return d;
}

/**
 * The `n` of a paginated list.
 * @throws RegistryError UNSUPPORTED when it is not a whole number.
 */
export function parseCount(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) {
    throw new RegistryError(
      'UNSUPPORTED',
      `n must be a non-negative whole number, got "${truncateForMessage(value, 20)}"`,
    );
  }
  return Number(value);
}

/** A query parameter, undefined when absent. */
export function param(q: URLSearchParams, name: string): string | undefined {
  return q.get(name) ?? undefined;
}

/** The first value of a request header. */
export function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `Content-Range: <start>-<end>` of a chunk (spec form, with "bytes " tolerated). */
export function parseContentRange(value: string | undefined): { start: number; end: number } | undefined {
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
export function parseRange(value: string, size: number): { start: number; end: number } {
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

/**
 * Reads a request body of at most `max` bytes.
 * @throws RegistryError MANIFEST_TOO_LARGE past it.
 */
export async function readBounded(stream: IncomingMessage, max: number): Promise<Buffer> {
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

/** Whether the request's Accept header admits a manifest of `mediaType`. */
export function acceptable(req: FastifyRequest, mediaType: string): boolean {
  const accept = header(req, 'accept');
  if (accept === undefined || accept.trim() === '') return true;
  const types = accept.split(',').map((t) => t.split(';')[0]?.trim() ?? '');
  // Clients that list no manifest type at all (curl's */*, a bare JSON accept) get what is stored.
  if (types.some((t) => t === '*/*' || t === mediaType)) return true;
  return !types.some(
    (t) => t.startsWith('application/vnd.oci.image.') || t.startsWith('application/vnd.docker.distribution.'),
  );
}

/** NAME_UNKNOWN for a repository the registry does not hold. */
export function unknownName(name: string): RegistryError {
  return new RegistryError('NAME_UNKNOWN', `repository ${name} is not known to this registry`);
}
