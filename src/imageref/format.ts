import { DEFAULT_TAG, DOCKER_HUB_REGISTRY } from './parse.js';
import type { ImageRef, RepositoryRef } from './types.js';

function suffix(ref: ImageRef): string {
  return `${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The fully qualified form, `docker.io/library/nginx:1.25@sha256:…`; no default tag is added. */
export function formatImageRef(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${suffix(ref)}`;
}

/**
 * Docker's short form: `nginx:1.25`, `user/app`, `localhost:5000/app`. The Docker Hub registry
 * is dropped, and so is `library/` when nothing is nested below it (`library/a/b` stays).
 */
export function familiarImageRef(ref: ImageRef): string {
  if (ref.registry !== DOCKER_HUB_REGISTRY) return formatImageRef(ref);
  const rest = ref.repository.startsWith('library/') ? ref.repository.slice('library/'.length) : undefined;
  const name = rest !== undefined && !rest.includes('/') ? rest : ref.repository;
  return `${name}${suffix(ref)}`;
}

/** The reference with tag `latest` when it has neither tag nor digest; otherwise unchanged. */
export function withDefaultTag(ref: ImageRef): ImageRef {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

function canonicalRegistry(registry: string): string {
  const lower = registry.toLowerCase();
  return lower === 'index.docker.io' ? DOCKER_HUB_REGISTRY : lower;
}

/**
 * True when both name the same repository. Registry hosts compare case-insensitively (DNS
 * names do), repository paths exactly; tags and digests are ignored.
 */
export function sameRepository(a: RepositoryRef, b: RepositoryRef): boolean {
  return a.repository === b.repository && canonicalRegistry(a.registry) === canonicalRegistry(b.registry);
}
