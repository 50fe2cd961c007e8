import type { Limits, Logger } from '../../core/index.js';
import type { RepositoryRef } from '../../imageref/index.js';
import { OciError } from '../errors.js';
import { repositoryScope } from './auth.js';
import type { RetryPolicy } from './retry.js';
import type { RegistryTransport } from './transport.js';

/** What every registry operation needs; one per RegistryClient. */
export type RegistryContext = {
  readonly transport: RegistryTransport;
  readonly limits: Limits;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
};

// Tags and digests come validated from imageref; this guards the API paths against anything
// else (a digest with a "/" or a tag with "?") reaching a URL.
const REFERENCE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.:+=-]{0,255}$/;
const REPOSITORY_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

function checkRepository(repo: RepositoryRef): string {
  if (repo.repository.length > 255 || !REPOSITORY_RE.test(repo.repository)) {
    throw new OciError('TARGET_INVALID', `invalid repository name "${repo.repository.slice(0, 100)}"`);
  }
  return repo.repository;
}

function checkReference(reference: string): string {
  if (!REFERENCE_RE.test(reference))
    throw new OciError('TARGET_INVALID', `invalid tag or digest "${reference.slice(0, 100)}"`);
  return reference;
}

/** `/v2/<name>/manifests/<reference>` (distribution spec, end-3). */
export function manifestPath(repo: RepositoryRef, reference: string): string {
  return `/v2/${checkRepository(repo)}/manifests/${checkReference(reference)}`;
}

/** `/v2/<name>/blobs/<digest>` (end-2). */
export function blobPath(repo: RepositoryRef, digest: string): string {
  return `/v2/${checkRepository(repo)}/blobs/${checkReference(digest)}`;
}

/** `/v2/<name>/<rest>` for the other endpoints (uploads, tags, referrers). */
export function repositoryPath(repo: RepositoryRef, rest: string): string {
  return `/v2/${checkRepository(repo)}/${rest}`;
}

export function pullScopes(repo: RepositoryRef): string[] {
  return [repositoryScope(repo.repository, false)];
}

export function pushScopes(repo: RepositoryRef): string[] {
  return [repositoryScope(repo.repository, true)];
}

/** `registry/repository`, for messages. */
export function repoName(repo: RepositoryRef): string {
  return `${repo.registry}/${repo.repository}`;
}
