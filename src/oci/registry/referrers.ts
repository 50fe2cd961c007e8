import { z } from 'zod';
import { digestAlgorithm, digestHex, type Digest } from '../../core/index.js';
import type { RepositoryRef } from '../../imageref/index.js';
import { OciError } from '../errors.js';
import { MediaType, isIndexMediaType } from '../mediatypes.js';
import { parseManifest } from '../resolve.js';
import { descriptorSchema, type Descriptor, type ImageIndex } from '../schema.js';
import { pullScopes, repoName, repositoryPath, type RegistryContext } from './context.js';
import { discardBody, readBody } from './http.js';
import { getManifest, putManifestBytes } from './manifests.js';
import { errorFromResponse } from './responses.js';

/**
 * The tag under which registries without the referrers API keep a subject's referrers:
 * `<alg>-<hex>` (OCI distribution spec, "Referrers Tag Schema"), with the algorithm cut to 32
 * and the hex to 64 characters so that the tag stays within the 128-character limit.
 */
export function referrersTag(subject: Digest): string {
  return `${digestAlgorithm(subject).slice(0, 32)}-${digestHex(subject).slice(0, 64)}`;
}

function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
}

function filterByArtifactType(index: ImageIndex, artifactType: string | undefined): ImageIndex {
  if (artifactType === undefined) return index;
  return { ...index, manifests: index.manifests.filter((d) => d.artifactType === artifactType) };
}

/**
 * The referrers of `subject`: from `GET /v2/<name>/referrers/<digest>` when the registry has it,
 * else from the referrers tag index. `artifactType` filtering is done here when the registry did
 * not apply it (it says so in `OCI-Filters-Applied`).
 * @throws OciError for registry failures other than "no referrers API" and "no fallback index".
 */
export async function getReferrers(
  ctx: RegistryContext,
  repo: RepositoryRef,
  subject: Digest,
  opts: { readonly artifactType?: string | undefined } = {},
): Promise<ImageIndex> {
  const query =
    opts.artifactType !== undefined ? `?artifactType=${encodeURIComponent(opts.artifactType)}` : '';
  const res = await ctx.transport.request(repo.registry, {
    method: 'GET',
    target: repositoryPath(repo, `referrers/${subject}${query}`),
    headers: { accept: MediaType.ociIndex },
    scopes: pullScopes(repo),
  });
  if (res.status === 200) {
    const max = ctx.limits.maxManifestBytes;
    const bytes = await readBody(
      res,
      max,
      () =>
        new OciError(
          'MANIFEST_TOO_LARGE',
          `referrers of ${subject} in ${repoName(repo)} exceed ${max} bytes`,
        ),
    );
    const contentType = res.header('content-type')?.split(';')[0]?.trim();
    let parsed: ReturnType<typeof parseManifest> | undefined;
    try {
      parsed = parseManifest(bytes, contentType, `referrers of ${subject}`, max);
    } catch {
      parsed = undefined;
    }
    // A 200 that is not an index (a catch-all page, say) means the API is not really there.
    if (
      parsed?.kind === 'index' &&
      (contentType === undefined || isIndexMediaType(contentType) || contentType === 'application/json')
    ) {
      const applied = (res.header('oci-filters-applied') ?? '').split(',').map((s) => s.trim());
      return applied.includes('artifactType')
        ? parsed.index
        : filterByArtifactType(parsed.index, opts.artifactType);
    }
    ctx.logger.debug('referrers endpoint answered something other than an index; using the tag schema', {
      registry: repo.registry,
    });
  } else if (res.status === 404 || res.status === 405 || res.status === 400) {
    discardBody(res);
    ctx.logger.debug('registry has no referrers API; using the tag schema', {
      registry: repo.registry,
      status: res.status,
    });
  } else {
    throw await errorFromResponse(res, `listing referrers of ${subject} in ${repoName(repo)}`);
  }
  return filterByArtifactType(await readFallbackIndex(ctx, repo, subject), opts.artifactType);
}

async function readFallbackIndex(
  ctx: RegistryContext,
  repo: RepositoryRef,
  subject: Digest,
): Promise<ImageIndex> {
  let fetched;
  try {
    fetched = await getManifest(
      ctx,
      { registry: repo.registry, repository: repo.repository, tag: referrersTag(subject) },
      [MediaType.ociIndex],
    );
  } catch (err) {
    if (err instanceof OciError && err.code === 'MANIFEST_UNKNOWN') return emptyIndex();
    throw err;
  }
  const parsed = parseManifest(
    fetched.bytes,
    fetched.mediaType,
    `referrers tag ${referrersTag(subject)}`,
    ctx.limits.maxManifestBytes,
  );
  if (parsed.kind !== 'index') {
    throw new OciError(
      'MANIFEST_INVALID',
      `the referrers tag ${referrersTag(subject)} in ${repoName(repo)} is not an index`,
    );
  }
  return parsed.index;
}

// Only what is needed to describe a manifest as a referrer.
const referrerProbeSchema = z.object({
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: z.object({ mediaType: z.string() }).optional(),
  subject: descriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** The subject of a manifest and the descriptor it would have in its subject's referrers list. */
export function referrerOf(
  bytes: Buffer,
  mediaType: string,
  digest: Digest,
): { subject: Digest; descriptor: Descriptor } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  const r = referrerProbeSchema.safeParse(json);
  if (!r.success || r.data.subject === undefined) return undefined;
  // Spec ("Listing Referrers"): artifactType is the manifest's, else its config's media type.
  const artifactType = r.data.artifactType ?? r.data.config?.mediaType;
  const descriptor: Descriptor = {
    mediaType: r.data.mediaType ?? mediaType,
    digest,
    size: bytes.length,
    ...(artifactType !== undefined ? { artifactType } : {}),
    ...(r.data.annotations !== undefined ? { annotations: r.data.annotations } : {}),
  };
  return { subject: r.data.subject.digest, descriptor };
}

/**
 * Adds a referrer to its subject's referrers tag index, creating the index if needed. This is a
 * read-modify-write: two clients updating the same subject at once can lose an entry, which
 * the spec accepts for registries without the API.
 */
export async function addToReferrersTag(
  ctx: RegistryContext,
  repo: RepositoryRef,
  subject: Digest,
  descriptor: Descriptor,
): Promise<void> {
  const index = await readFallbackIndex(ctx, repo, subject);
  if (index.manifests.some((d) => d.digest === descriptor.digest)) return;
  const updated: ImageIndex = {
    ...index,
    mediaType: index.mediaType ?? MediaType.ociIndex,
    manifests: [...index.manifests, descriptor],
  };
  const bytes = Buffer.from(JSON.stringify(updated), 'utf8');
  await putManifestBytes(
    ctx,
    { registry: repo.registry, repository: repo.repository, tag: referrersTag(subject) },
    bytes,
    MediaType.ociIndex,
  );
  ctx.logger.debug('updated the referrers tag index', {
    registry: repo.registry,
    repository: repo.repository,
    subject,
    referrer: descriptor.digest,
  });
}
