/**
 * A normalized image reference. `registry` and `repository` are always filled in: `nginx`
 * becomes registry `docker.io`, repository `library/nginx`. A reference carries a tag, a
 * digest, both (`name:tag@sha256:…`, where the digest is what is pulled) or neither.
 */
export type ImageRef = {
  /**
   * Registry host with optional port, as written (the grammar allows upper-case host names):
   * `docker.io`, `localhost:5000`, `ghcr.io`, `[::1]:5000`.
   */
  readonly registry: string;
  /** Repository path within the registry: `library/nginx`, `org/team/app`. */
  readonly repository: string;
  readonly tag?: string;
  /** `algorithm:hex`, validated (sha256 or sha512). */
  readonly digest?: string;
};

/** A repository without tag or digest, e.g. for push destinations and token scopes. */
export type RepositoryRef = Pick<ImageRef, 'registry' | 'repository'>;
