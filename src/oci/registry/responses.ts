import { z } from 'zod';
import { truncateForMessage } from '../../core/index.js';
import { OciError, type OciErrorCode } from '../errors.js';
import { readBody, type HttpResponse } from './http.js';

// OCI distribution spec, "Error Codes": {"errors":[{"code","message","detail"}]}.
const errorBodySchema = z.object({
  errors: z.array(
    z.object({
      code: z.string().optional(),
      message: z.string().optional(),
      detail: z.unknown().optional(),
    }),
  ),
});

export type RegistryErrorEntry = {
  readonly code: string;
  readonly message: string;
  readonly detail: string | undefined;
};

const MAX_ERROR_BODY = 64 * 1024;

/** Reads the registry's error entries from a body, or none when it is not the standard shape. */
export function parseRegistryErrors(body: Buffer): RegistryErrorEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  const r = errorBodySchema.safeParse(json);
  if (!r.success) return [];
  return r.data.errors.slice(0, 5).map((e) => ({
    code: e.code ?? 'UNKNOWN',
    message: e.message ?? '',
    detail:
      e.detail === undefined || e.detail === ''
        ? undefined
        : typeof e.detail === 'string'
          ? e.detail
          : JSON.stringify(e.detail),
  }));
}

function codeFor(
  status: number,
  entries: readonly RegistryErrorEntry[],
  notFound: OciErrorCode,
): OciErrorCode {
  const codes = new Set(entries.map((e) => e.code));
  if (codes.has('MANIFEST_UNKNOWN')) return 'MANIFEST_UNKNOWN';
  if (codes.has('BLOB_UNKNOWN')) return 'BLOB_UNKNOWN';
  if (codes.has('NAME_UNKNOWN')) return notFound;
  if (codes.has('DENIED') || status === 403) return 'DENIED';
  if (codes.has('UNAUTHORIZED') || status === 401) return 'UNAUTHORIZED';
  if (codes.has('TOOMANYREQUESTS') || status === 429) return 'TOO_MANY_REQUESTS';
  if (codes.has('MANIFEST_INVALID') || codes.has('MANIFEST_BLOB_UNKNOWN')) return 'MANIFEST_INVALID';
  if (codes.has('SIZE_INVALID') || codes.has('DIGEST_INVALID') || codes.has('BLOB_UPLOAD_INVALID'))
    return 'REGISTRY_ERROR';
  if (status === 404) return notFound;
  if (status === 408 || status === 504) return 'TIMEOUT';
  return 'REGISTRY_ERROR';
}

/**
 * Turns an unexpected response into an OciError: reads (a bounded part of) the body, names the
 * registry's own error codes and messages, and maps MANIFEST_UNKNOWN / BLOB_UNKNOWN / DENIED
 * and friends onto our codes. `what` says what was being done ("manifest x:y").
 */
export async function errorFromResponse(
  res: HttpResponse,
  what: string,
  notFound: OciErrorCode = 'REGISTRY_ERROR',
): Promise<OciError> {
  let body: Buffer = Buffer.alloc(0);
  try {
    body = await readBody(res, MAX_ERROR_BODY, () => new Error('too large'));
  } catch {
    // The status alone still tells the story.
  }
  const entries =
    res.header('content-type')?.includes('json') === false && body[0] !== 0x7b
      ? []
      : parseRegistryErrors(body);
  const code = codeFor(res.status, entries, notFound);
  const detail = entries
    .map(
      (e) =>
        `${e.code}${e.message !== '' ? `: ${e.message}` : ''}${e.detail !== undefined ? ` (${truncateForMessage(e.detail, 200)})` : ''}`,
    )
    .join('; ');
  const lead =
    code === 'MANIFEST_UNKNOWN' || code === 'BLOB_UNKNOWN'
      ? `${what} not found`
      : code === 'DENIED'
        ? `${what}: access denied`
        : `${what} failed`;
  return new OciError(
    code,
    `${lead} (HTTP ${res.status}${detail !== '' ? `, ${truncateForMessage(detail, 400)}` : ''})`,
  );
}
